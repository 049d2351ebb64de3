package io.metalcast.engine.ephemeral.simplestreams;

import java.io.IOException;
import java.net.URI;

/** Reads files of one mirror by path relative to its root. Blocking. */
interface Mirror {
    MirrorLocation location();

    default URI uri(String path) {
        return location().resolve(path);
    }

    /**
     * Streams the file at {@code path} into {@code sink}.
     *
     * @throws SimplestreamsException NOT_FOUND when it does not exist, SIZE_EXCEEDED past the sink's limit, TRANSFER otherwise
     */
    void fetch(String path, DownloadSink sink) throws IOException, InterruptedException;
}
