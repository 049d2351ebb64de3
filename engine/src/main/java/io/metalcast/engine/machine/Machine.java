package io.metalcast.engine.machine;

import io.metalcast.engine.store.EventRecord;
import io.metalcast.engine.store.MachineRecord;
import io.metalcast.pxe.boot.MacAddress;
import java.util.Objects;
import java.util.Optional;

/** A machine as the services see it: its stored row, its state, and its newest event. */
public record Machine(MachineRecord row, MachineStatus status, Optional<EventRecord> lastEvent) {
    public Machine {
        Objects.requireNonNull(row, "row");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(lastEvent, "lastEvent");
    }

    public String systemId() {
        return row.systemId();
    }

    public String hostname() {
        return row.hostname();
    }

    public MacAddress mac() {
        return MacAddress.parse(row.mac());
    }

    /** {@code amd64} of {@code amd64/generic}. */
    public String arch() {
        String a = row.architecture();
        int slash = a.indexOf('/');
        return slash < 0 ? a : a.substring(0, slash);
    }

    /** The image name deployed or being deployed ({@code custom/sample}), empty when none. */
    public String imageName() {
        return row.osystem().isEmpty() ? "" : row.osystem() + "/" + row.distroSeries();
    }
}
