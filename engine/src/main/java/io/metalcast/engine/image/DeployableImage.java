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
        String n = resource.name();
        return n.substring(0, n.indexOf('/'));
    }

    /** {@code sample} of {@code custom/sample}. */
    public String series() {
        String n = resource.name();
        return n.substring(n.indexOf('/') + 1);
    }

    /** {@code ubuntu} of base image {@code ubuntu/jammy}. */
    public String baseOs() {
        String b = resource.baseImage();
        return b.substring(0, b.indexOf('/'));
    }

    /** {@code jammy} of base image {@code ubuntu/jammy}. */
    public String baseRelease() {
        String b = resource.baseImage();
        return b.substring(b.indexOf('/') + 1);
    }

    /** {@code amd64} of {@code amd64/generic}. */
    public String arch() {
        String a = resource.architecture();
        return a.substring(0, a.indexOf('/'));
    }

    /** {@code generic} of {@code amd64/generic}. */
    public String subarch() {
        String a = resource.architecture();
        return a.substring(a.indexOf('/') + 1);
    }
}
