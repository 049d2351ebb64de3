package io.metalcast.curtin.image;

import java.io.IOException;

/** The compressed stream an image comes in is damaged (bad checksum, invalid data). */
final class DamagedStreamException extends IOException {
    DamagedStreamException(IOException cause) {
        super(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), cause);
    }
}
