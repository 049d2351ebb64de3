package io.metalcast.engine.machine;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.config.WriteFile;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.image.DeployableImage;
import java.util.LinkedHashMap;
import java.util.Map;

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

    public static CurtinConfig render(Machine machine, DeployableImage image, Urls urls) {
        Map<String, Source> sources = new LinkedHashMap<>();
        sources.put("00_image", new Source(image.filetype().curtinType(), imageUrl(urls, image), image.file().sha256(),
                image.file().size()));
        Map<String, WebhookReporter> reporting = new LinkedHashMap<>();
        reporting.put("maas", new WebhookReporter(webhookUrl(urls, machine.systemId()), machine.row().consumerKey(),
                machine.row().tokenKey(), machine.row().tokenSecret()));
        Map<String, WriteFile> files = new LinkedHashMap<>();
        files.put("hostname", new WriteFile("/etc/hostname", machine.hostname() + "\n", "0644"));
        return new CurtinConfig(sources, reporting, files, "/tmp/install.log");
    }
}
