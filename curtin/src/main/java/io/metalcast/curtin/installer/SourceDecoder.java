package io.metalcast.curtin.installer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Turns the bytes fetched from a dd source into the raw disk image. One per curtin source type; gz/xz/zst decoders
 * plug in here as further constants without touching the extract pipeline.
 */
interface SourceDecoder {
    /** Wraps the downloaded stream; the pipeline reads the disk image from what this returns. */
    InputStream decode(InputStream fetched) throws IOException;

    /** True when the image is exactly as long as the fetched bytes, so its size is known before writing. */
    boolean preservesLength();

    /** The decoder for a curtin source type, if this installer supports it. */
    static Optional<SourceDecoder> forType(String curtinType) {
        return switch (curtinType) {
            case "dd-raw" -> Optional.of(Raw.INSTANCE);
            default -> Optional.empty();
        };
    }

    /** The source types {@link #forType} knows, for error messages. */
    static String supported() {
        return "dd-raw";
    }

    /** {@code dd-raw}: the fetched bytes are the image. */
    enum Raw implements SourceDecoder {
        INSTANCE;

        @Override
        public InputStream decode(InputStream fetched) {
            return fetched;
        }

        @Override
        public boolean preservesLength() {
            return true;
        }
    }
}
