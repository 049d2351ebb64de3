package io.metalcast.engine.ephemeral.simplestreams;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one import did.
 *
 * @param mirror   the mirror root
 * @param started  when the import began
 * @param finished when it ended
 * @param products one entry per product of a selected os/arch/release (chosen or passed over), plus one ABSENT entry
 *                 per selected os/arch/release that no product provides
 * @param warnings stream files that could not be read (their products are missing from {@code products})
 */
public record ImportReport(URI mirror, Instant started, Instant finished, List<ProductReport> products, List<String> warnings) {
    public ImportReport {
        Objects.requireNonNull(mirror, "mirror");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(finished, "finished");
        products = List.copyOf(Objects.requireNonNull(products, "products"));
        warnings = List.copyOf(Objects.requireNonNull(warnings, "warnings"));
    }

    /** Whether every selected os/arch/release now has a complete set from this mirror (IMPORTED or UNCHANGED). */
    public boolean complete() {
        return products.stream().noneMatch(p -> p.outcome() == Outcome.FAILED || p.outcome() == Outcome.ABSENT);
    }

    public enum Outcome {
        /** A new set was verified and put in place. */
        IMPORTED,
        /** The set in place already has this version's three files (same sha256): nothing downloaded. */
        UNCHANGED,
        /** A product of a selected release/arch that is not imported (a flavoured kernel, another subarch). */
        SKIPPED,
        /** The chosen product could not be imported; the previous set, if any, is still in place. */
        FAILED,
        /** No importable product for a selected os/arch/release in the mirror. */
        ABSENT
    }

    /**
     * @param productId the product id ({@code ""} for ABSENT)
     * @param version   the version serial imported or tried ({@code ""} when none)
     * @param reason    why SKIPPED, FAILED or ABSENT ({@code ""} otherwise)
     * @param files     the files of an IMPORTED or UNCHANGED set
     */
    public record ProductReport(String productId, String os, String arch, String release, String subarch, String kflavor,
                                String version, Outcome outcome, String reason, List<FileReport> files) {
        public ProductReport {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(os, "os");
            Objects.requireNonNull(arch, "arch");
            Objects.requireNonNull(release, "release");
            Objects.requireNonNull(subarch, "subarch");
            Objects.requireNonNull(kflavor, "kflavor");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(reason, "reason");
            files = List.copyOf(Objects.requireNonNull(files, "files"));
        }
    }

    /** How one file of a set was obtained. */
    public enum FileAction {
        /** Fetched from the mirror and verified. */
        DOWNLOADED,
        /** The same sha256 was already on disk: linked (or copied), not downloaded. */
        REUSED
    }

    /**
     * @param ftype  {@code boot-kernel}, {@code boot-initrd} or {@code squashfs}
     * @param source the file's URL on the mirror
     */
    public record FileReport(String ftype, String sha256, long size, FileAction action, URI source) {
        public FileReport {
            Objects.requireNonNull(ftype, "ftype");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(source, "source");
            if (size < 0) {
                throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
            }
        }
    }
}
