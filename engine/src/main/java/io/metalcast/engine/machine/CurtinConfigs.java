package io.metalcast.engine.machine;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.image.DeployableImage;
import io.metalcast.engine.image.ImageStore;
import io.metalcast.engine.image.StoredBlockMap;
import io.metalcast.engine.image.StoredRawView;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Builds the curtin config a Deploying machine's installer runs. */
public final class CurtinConfigs {
    private CurtinConfigs() {
    }

    /** The URL the image is served at: {@code <boot>/images/<sha16>/<os>/<arch>/<subarch>/<series>/uploaded/<stored name>}. */
    public static String imageUrl(Urls urls, DeployableImage image) {
        return urls.boot() + "/images/" + image.file().sha256().substring(0, 16) + "/" + image.os() + "/" + image.arch() + "/"
                + image.subarch() + "/" + image.series() + "/uploaded/" + image.filetype().storedName();
    }

    /** The webhook endpoint curtin reports to. */
    public static String webhookUrl(Urls urls, String systemId) {
        return urls.api() + "/MAAS/metadata/status/" + systemId;
    }

    /** The config without a block map: the installer streams the whole image. */
    public static CurtinConfig render(Machine machine, DeployableImage image, Urls urls) {
        return render(machine, image, urls, Optional.empty());
    }

    /**
     * The config; with {@code blockMap} (the map stored beside a raw image) the image source also names the map at
     * {@code <image URL>.bmap} and its sha256, so the installer fetches only the mapped ranges. Does no I/O.
     */
    public static CurtinConfig render(Machine machine, DeployableImage image, Urls urls, Optional<StoredBlockMap> blockMap) {
        return render(machine, image, urls, blockMap, Optional.empty());
    }

    /**
     * The config; with {@code rawView} (the raw view stored beside a compressed disk image) the image source is that
     * view instead: type {@code dd-raw} at {@code <image URL>.raw} with the raw image's sha256 and size, and its block
     * map at {@code <image URL>.raw.bmap}, so the installer fetches only the mapped ranges and decompresses nothing.
     * Otherwise as {@link #render(Machine, DeployableImage, Urls, Optional)}. Does no I/O.
     */
    public static CurtinConfig render(Machine machine, DeployableImage image, Urls urls, Optional<StoredBlockMap> blockMap,
                                      Optional<StoredRawView> rawView) {
        Map<String, Source> sources = new LinkedHashMap<>();
        String url = imageUrl(urls, image);
        Source source = new Source(image.filetype().curtinType(), url, image.file().sha256(), image.file().size());
        if (rawView.isPresent()) {
            String raw = url + ImageStore.RAW_VIEW_SUFFIX;
            source = new Source(ImageFiletype.DDRAW.curtinType(), raw, rawView.get().sha256(), rawView.get().size())
                    .withBlockMap(raw + ImageStore.BLOCK_MAP_SUFFIX, rawView.get().map().sha256());
        } else if (blockMap.isPresent()) {
            source = source.withBlockMap(url + ImageStore.BLOCK_MAP_SUFFIX, blockMap.get().sha256());
        }
        sources.put("00_image", source);
        Map<String, WebhookReporter> reporting = new LinkedHashMap<>();
        reporting.put("maas", new WebhookReporter(webhookUrl(urls, machine.systemId()), machine.row().consumerKey(),
                machine.row().tokenKey(), machine.row().tokenSecret()));
        Map<String, WriteFile> files = new LinkedHashMap<>();
        files.put("hostname", new WriteFile("/etc/hostname", machine.hostname() + "\n", "0644"));
        return new CurtinConfig(sources, reporting, files, "/tmp/install.log");
    }
}
