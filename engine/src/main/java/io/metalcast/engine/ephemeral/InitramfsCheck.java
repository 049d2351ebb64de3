package io.metalcast.engine.ephemeral;

import io.metalcast.engine.ephemeral.simplestreams.ImportListener;
import io.metalcast.engine.image.InitramfsReports;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans each staged set's initrd and keeps the report as {@code .initramfs.json} with the set. It warns (booting from
 * {@code root=squash:} needs the rooturl script and the squashfs module), it never refuses.
 */
public final class InitramfsCheck implements ImportListener {
    private static final Logger log = LoggerFactory.getLogger(InitramfsCheck.class);
    private final Map<String, List<String>> warnings = new ConcurrentHashMap<>();

    @Override
    public void check(String os, String arch, String release, Path stagedDir) throws Exception {
        Map<String, Object> report = InitramfsReports.write(stagedDir);
        List<String> w = report.get("warnings") instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
        warnings.put(os + "/" + release + " " + arch, w);
        for (String s : w) {
            log.warn("ephemeral {}/{} {}: initramfs: {}", os, release, arch, s);
        }
    }

    /** The warnings of each set checked so far, by {@code <os>/<release> <arch>}. */
    public Map<String, List<String>> warnings() {
        return Map.copyOf(warnings);
    }
}
