package io.metalcast.engine.machine;

import java.util.Optional;

/** Machine states with MAAS's numeric codes and display names. */
public enum MachineStatus {
    NEW(0, "New"),
    COMMISSIONING(1, "Commissioning"),
    FAILED_COMMISSIONING(2, "Failed commissioning"),
    MISSING(3, "Missing"),
    READY(4, "Ready"),
    RESERVED(5, "Reserved"),
    DEPLOYED(6, "Deployed"),
    RETIRED(7, "Retired"),
    BROKEN(8, "Broken"),
    DEPLOYING(9, "Deploying"),
    ALLOCATED(10, "Allocated"),
    FAILED_DEPLOYMENT(11, "Failed deployment"),
    RELEASING(12, "Releasing"),
    FAILED_RELEASING(13, "Failed releasing"),
    DISK_ERASING(14, "Disk erasing");

    private final int code;
    private final String displayName;

    MachineStatus(int code, String displayName) {
        this.code = code;
        this.displayName = displayName;
    }

    public int code() {
        return code;
    }

    public String displayName() {
        return displayName;
    }

    public static Optional<MachineStatus> ofCode(int code) {
        for (MachineStatus s : values()) {
            if (s.code == code) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** States a deploy request is accepted in (New too, for the walking skeleton: there is no commissioning yet). */
    public boolean deployable() {
        return this == NEW || this == READY || this == ALLOCATED || this == FAILED_DEPLOYMENT;
    }
}
