package io.metalcast.pxe.boot;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/** The answer to a {@link BootFileRequest}: a file on disk (sent zero-copy) or a small generated document. */
public sealed interface BootContent permits BootContent.OnDisk, BootContent.Generated {

    /** A published file. Servers send it as a file region with its exact length. */
    record OnDisk(Path file, String contentType) implements BootContent {
        public OnDisk {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(contentType, "contentType");
        }
    }

    /** A document rendered for this request (an iPXE script, a GRUB or PXELINUX config). */
    record Generated(byte[] bytes, String contentType) implements BootContent {
        public Generated {
            Objects.requireNonNull(bytes, "bytes");
            Objects.requireNonNull(contentType, "contentType");
        }

        public static Generated text(String text, String contentType) {
            return new Generated(text.getBytes(StandardCharsets.UTF_8), contentType);
        }
    }
}
