package io.metalcast.curtin.image;

import java.util.Map;
import java.util.Objects;

/**
 * One thing an inspection noticed. An {@link Severity#ERROR} refuses the upload; a {@link Severity#WARNING} informs.
 *
 * @param severity whether it refuses
 * @param kind     what kind of problem, for code that reacts to it (never match on the message)
 * @param message  one line for a person: what was found and what to send instead
 */
public record Finding(Severity severity, Kind kind, String message) {

    public enum Severity { ERROR, WARNING }

    public enum Kind {
        /** The content is not what the declared filetype says. */
        FILETYPE_MISMATCH,
        /** Neither a disk image, a filesystem nor a tar archive. */
        UNRECOGNISED_CONTENT,
        /** The data ends before its own structures say it should. */
        TRUNCATED,
        /** A compressed stream, partition table or filesystem is damaged. */
        CORRUPT,
        /** A filesystem this library cannot read (xfs, btrfs, LVM...): its content was not checked. */
        UNREADABLE_FILESYSTEM,
        /** No filesystem with /etc/os-release or /curtin was found, so the content was not checked. */
        NO_ROOT_FILESYSTEM,
        MISSING_CLOUD_INIT,
        MISSING_NETPLAN,
        NO_OS_RELEASE,
        /** os-release names another operating system or release than base_image. */
        RELEASE_MISMATCH,
        INITRAMFS_UNREADABLE,
        INITRAMFS_SCRIPT_MISSING,
        INITRAMFS_MODULE_MISSING
    }

    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    static Finding error(Kind kind, String message) {
        return new Finding(Severity.ERROR, kind, message);
    }

    static Finding warning(Kind kind, String message) {
        return new Finding(Severity.WARNING, kind, message);
    }

    public boolean refuses() {
        return severity == Severity.ERROR;
    }

    public Map<String, Object> toMap() {
        return Map.of("severity", severity.name().toLowerCase(java.util.Locale.ROOT),
                "kind", kind.name().toLowerCase(java.util.Locale.ROOT), "message", message);
    }
}
