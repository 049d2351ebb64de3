package io.metalcast.engine.image;

import io.metalcast.engine.error.Rejected;
import java.util.Objects;
import java.util.Optional;

/**
 * Which ephemeral environment deploys an image, as MAAS chooses it: the Ubuntu release of an {@code ubuntu/<release>}
 * base image, and the commissioning release ({@code images.commissioning_release}) for any other base
 * ({@code centos/8}, {@code rhel/9}...). Reads the disk through the catalog; blocking.
 */
public final class EphemeralChoice {
    private final EphemeralCatalog catalog;
    private final String commissioningOs;
    private final String commissioningRelease;

    /** @param commissioning {@code <os>/<release>}, e.g. {@code ubuntu/jammy} */
    public EphemeralChoice(EphemeralCatalog catalog, String commissioning) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        int slash = commissioning.indexOf('/');
        if (slash <= 0 || slash == commissioning.length() - 1) {
            throw new IllegalArgumentException("commissioning_release: '" + commissioning + "' (expected: <os>/<release> such as ubuntu/jammy)");
        }
        this.commissioningOs = commissioning.substring(0, slash);
        this.commissioningRelease = commissioning.substring(slash + 1);
    }

    public EphemeralCatalog catalog() {
        return catalog;
    }

    /** {@code <os>/<release>} of the ephemeral that deploys an image with this base ({@code ubuntu/jammy}, {@code centos/8}). */
    public String neededFor(String baseImage) {
        int slash = baseImage.indexOf('/');
        if (slash > 0 && baseImage.substring(0, slash).equals("ubuntu")) {
            return baseImage;
        }
        return commissioningOs + "/" + commissioningRelease;
    }

    /** The ephemeral for an image with this base on {@code arch} ({@code amd64}), if present. */
    public Optional<EphemeralImage> find(String baseImage, String arch) {
        String needed = neededFor(baseImage);
        int slash = needed.indexOf('/');
        return catalog.find(needed.substring(0, slash), arch, needed.substring(slash + 1));
    }

    /**
     * The ephemeral for an image with this base on {@code arch}.
     *
     * @throws Rejected CONFLICT naming the release to import and the command that imports it
     */
    public EphemeralImage require(String baseImage, String arch) {
        return find(baseImage, arch).orElseThrow(() -> {
            String needed = neededFor(baseImage);
            String release = needed.substring(needed.indexOf('/') + 1);
            return new Rejected(Rejected.Kind.CONFLICT, "no ephemeral image for " + needed + " " + arch + ": import it first"
                    + " (./metalcast import MIRROR --release " + release + (arch.equals("amd64") ? "" : " --arch " + arch) + ")");
        });
    }
}
