package io.metalcast.engine.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A row of {@code machine}. {@code status} is MAAS's numeric code; {@code mac} is {@code aa:bb:cc:dd:ee:ff}.
 */
public record MachineRecord(String systemId, String hostname, String mac, String architecture, int status, String osystem,
                            String distroSeries, String tokenKey, String tokenSecret, String consumerKey,
                            Optional<Instant> deployDeadline, Instant created, Instant updated) {
    public MachineRecord {
        Objects.requireNonNull(systemId, "systemId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(osystem, "osystem");
        Objects.requireNonNull(distroSeries, "distroSeries");
        Objects.requireNonNull(tokenKey, "tokenKey");
        Objects.requireNonNull(tokenSecret, "tokenSecret");
        Objects.requireNonNull(consumerKey, "consumerKey");
        Objects.requireNonNull(deployDeadline, "deployDeadline");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(updated, "updated");
    }

    @Override
    public String toString() {
        return "MachineRecord[" + systemId + ", " + hostname + ", " + mac + ", status=" + status + "]";
    }
}
