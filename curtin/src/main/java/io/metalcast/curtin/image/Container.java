package io.metalcast.curtin.image;

/** What an upload holds once decompressed. */
public enum Container {
    /** A whole disk: an MBR or GPT partition table and its partitions. */
    RAW_DISK("raw disk image"),
    /** A filesystem image without a partition table. */
    FILESYSTEM("bare filesystem image without a partition table"),
    /** A tar archive whose one member is a raw disk image (what curtin's dd-tgz/dd-tar unpack with {@code tar -xO}). */
    TAR_DISK("tar holding a disk image"),
    /** A tar archive of a root filesystem (etc/, usr/...). */
    TAR_ROOT("tar of a root filesystem"),
    /** A tar archive holding something else. */
    TAR_OTHER("tar holding neither one disk image nor a root filesystem"),
    EMPTY("empty file"),
    UNKNOWN("unrecognised data");

    private final String description;

    Container(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
