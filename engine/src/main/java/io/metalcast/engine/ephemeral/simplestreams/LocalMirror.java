package io.metalcast.engine.ephemeral.simplestreams;

import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A mirror in a local directory ({@code file:} URL or plain path). */
final class LocalMirror implements Mirror {
    private static final int BUFFER = 1 << 20;
    private final MirrorLocation location;
    private final Path root;

    LocalMirror(MirrorLocation location) throws SimplestreamsException {
        this.location = location;
        this.root = location.localRoot().toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new SimplestreamsException(Kind.BAD_LOCATION, "mirror: " + root + " (expected: an existing directory)");
        }
    }

    @Override
    public MirrorLocation location() {
        return location;
    }

    @Override
    public void fetch(String path, DownloadSink sink) throws IOException, InterruptedException {
        Path file = root.resolve(MirrorPaths.check(path)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            throw new SimplestreamsException(Kind.NOT_FOUND, file + ": no such file");
        }
        if (Files.size(file) > sink.limit()) {
            throw new SimplestreamsException(Kind.SIZE_EXCEEDED, sink.what() + ": " + file + " holds " + Files.size(file)
                    + " bytes (expected: at most " + sink.limit() + ")");
        }
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (in.read(buf) >= 0) {
                buf.flip();
                sink.write(buf);
                buf.clear();
                if (Thread.interrupted()) {
                    throw new InterruptedException("import interrupted while copying " + file);
                }
            }
        }
    }
}
