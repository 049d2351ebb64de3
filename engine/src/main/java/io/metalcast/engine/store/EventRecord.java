package io.metalcast.engine.store;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code machine_event}: a state change or a reported install step. {@code result} is empty when none. */
public record EventRecord(long id, String systemId, Instant time, String type, String name, String description, String result) {
    public EventRecord {
        Objects.requireNonNull(systemId, "systemId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(result, "result");
    }
}
