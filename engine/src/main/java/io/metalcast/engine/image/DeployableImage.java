package io.metalcast.engine.image;

import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import java.util.Objects;

/** The newest complete file of an uploaded resource, ready to be written to a machine's disk. */
public record DeployableImage(BootResourceRecord resource, BootFileRecord file, ImageFiletype filetype) {
    public DeployableImage {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(filetype, "filetype");
    }

    /** {@code custom} of {@code custom/sample}. */
    public String os() {
        return head(resource.name());
    }

    /** {@code sample} of {@code custom/sample}. */
    public String series() {
        return tail(resource.name());
    }

    /** {@code ubuntu} of base image {@code ubuntu/jammy}. */
    public String baseOs() {
        return head(resource.baseImage());
    }

    /** {@code jammy} of base image {@code ubuntu/jammy}. */
    public String baseRelease() {
        return tail(resource.baseImage());
    }

    /** {@code amd64} of {@code amd64/generic}. */
    public String arch() {
        return head(resource.architecture());
    }

    /** {@code generic} of {@code amd64/generic}. */
    public String subarch() {
        return tail(resource.architecture());
    }

    /** What comes before the first {@code /} of a MAAS pair such as {@code custom/sample}. */
    private static String head(String pair) {
        return pair.substring(0, pair.indexOf('/'));
    }

    /** What comes after the first {@code /} of a MAAS pair. */
    private static String tail(String pair) {
        return pair.substring(pair.indexOf('/') + 1);
    }
}
