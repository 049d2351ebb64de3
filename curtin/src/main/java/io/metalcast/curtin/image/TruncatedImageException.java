package io.metalcast.curtin.image;

import java.io.IOException;

/** The image ends before data its structures point to: the upload was most likely cut short. */
final class TruncatedImageException extends IOException {
    private final long end;

    TruncatedImageException(long end) {
        super("image ends at byte " + end + " before data its structures point to");
        this.end = end;
    }

    long end() {
        return end;
    }
}
