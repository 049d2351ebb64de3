package io.metalcast.engine.api;

import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.metrics.EngineMetrics;
import io.metalcast.engine.store.BootFileRecord;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST boot-resources/}, shared by the small (aggregated) and the streamed request: with a {@code content}
 * part the image is stored at once; without it the form declares sha256 and size and the content follows in chunks
 * ({@code PUT upload_uri}), as the maas CLI does it. Blocking.
 */
final class Creates {
    private static final Logger log = LoggerFactory.getLogger(Creates.class);

    private final BootResources resources;
    private final EngineMetrics metrics;
    private final MaasJson json;

    Creates(BootResources resources, EngineMetrics metrics, MaasJson json) {
        this.resources = resources;
        this.metrics = metrics;
        this.json = json;
    }

    /**
     * @param content the content written to a file under the store's tmp dir (consumed), or null for a chunked create
     */
    Reply create(Map<String, String> fields, Path content) throws IOException {
        try {
            BootResources.UploadForm form = resources.check(fields);
            BootResource stored;
            if (content == null) {
                stored = resources.create(form);
                BootFileRecord f = stored.files().get(stored.files().size() - 1);
                metrics.upload(f.complete() ? "deduplicated" : "created");
                log.info("boot resource {} {} created for a chunked upload: {} bytes, sha256 {}{}", stored.resource().name(),
                        stored.resource().architecture(), f.size(), f.sha256(), f.complete() ? " (already stored)" : "");
            } else {
                if (Files.size(content) == 0) {
                    throw Rejected.invalid("content", "0 bytes", "a non-empty image file");
                }
                stored = resources.upload(form, content);
                BootFileRecord f = stored.files().get(stored.files().size() - 1);
                metrics.upload("stored");
                log.info("boot resource {} {} stored: {} bytes, sha256 {}", stored.resource().name(), stored.resource().architecture(),
                        f.size(), f.sha256());
            }
            return Reply.json(HttpResponseStatus.CREATED, json.write(MaasJson.resource(stored, true)));
        } catch (Rejected e) {
            metrics.upload("rejected");
            throw e;
        } finally {
            if (content != null) {
                Files.deleteIfExists(content);
            }
        }
    }
}
