package io.metalcast.curtin.image;

import java.util.Locale;
import java.util.Optional;

/**
 * Upload filetypes as MAAS names them, each with the name MAAS stores the file under and the curtin source type it is
 * deployed with. The one table of this mapping in the project.
 */
public enum ImageFiletype {
    TGZ("tgz", "root.tgz", "tgz"),
    TBZ("tbz", "root.tbz", "tbz"),
    TXZ("txz", "root.txz", "txz"),
    DDTGZ("ddtgz", "root-dd", "dd-tgz"),
    DDTAR("ddtar", "root-dd.tar", "dd-tar"),
    DDTBZ("ddtbz", "root-dd.tar.bz2", "dd-tbz"),
    DDTXZ("ddtxz", "root-dd.tar.xz", "dd-txz"),
    DDBZ2("ddbz2", "root-dd.bz2", "dd-bz2"),
    DDGZ("ddgz", "root-dd.gz", "dd-gz"),
    DDXZ("ddxz", "root-dd.xz", "dd-xz"),
    DDRAW("ddraw", "root-dd.raw", "dd-raw"),
    /** Ours, not MAAS's: a raw disk image compressed with zstd. */
    DDZST("ddzst", "root-dd.zst", "dd-zst");

    private final String uploadName;
    private final String storedName;
    private final String curtinType;

    ImageFiletype(String uploadName, String storedName, String curtinType) {
        this.uploadName = uploadName;
        this.storedName = storedName;
        this.curtinType = curtinType;
    }

    /** The {@code filetype} value a client sends. */
    public String uploadName() {
        return uploadName;
    }

    /** The file name MAAS stores (and serves) the content under. */
    public String storedName() {
        return storedName;
    }

    /** The curtin source type ({@code dd-raw}, {@code tgz}...). */
    public String curtinType() {
        return curtinType;
    }

    public boolean diskImage() {
        return curtinType.startsWith("dd-");
    }

    /** The filetype deployed with curtin source type {@code type} ({@code dd-gz}, {@code tgz}...). */
    public static Optional<ImageFiletype> ofCurtinType(String type) {
        for (ImageFiletype t : values()) {
            if (t.curtinType.equals(type)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public static Optional<ImageFiletype> ofUploadName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.toLowerCase(Locale.ROOT);
        for (ImageFiletype t : values()) {
            if (t.uploadName.equals(n)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
