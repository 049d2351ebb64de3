package io.metalcast.curtin.image;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link InitramfsScanner} found in an initramfs: its segments, and whether the scripts and module that
 * booting from {@code root=squash:URL} needs are there.
 *
 * @param segments           each segment in order: {@code cpio} (uncompressed) or {@code gzip+cpio}, {@code xz+cpio},
 *                           {@code zstd+cpio}, {@code lz4+cpio}, {@code lz4-legacy+cpio}, {@code bzip2+cpio}
 * @param entries            cpio entries read in all segments
 * @param rooturl            {@code scripts/local-top/rooturl} is present
 * @param rooturlOrdered     and named in {@code scripts/local-top/ORDER}
 * @param copymods           {@code scripts/init-bottom/copymods} is present
 * @param copymodsOrdered    and named in {@code scripts/init-bottom/ORDER}
 * @param overlayroot        {@code scripts/init-bottom/overlayroot} is present
 * @param overlayrootOrdered and named in {@code scripts/init-bottom/ORDER}
 * @param squashfsModule     a {@code kernel/fs/squashfs/squashfs.ko*} module is present
 * @param findings           warnings for what is missing or unreadable
 */
public record InitramfsReport(List<String> segments, int entries, boolean rooturl, boolean rooturlOrdered,
                              boolean copymods, boolean copymodsOrdered, boolean overlayroot, boolean overlayrootOrdered,
                              boolean squashfsModule, List<Finding> findings) {
    public InitramfsReport {
        segments = List.copyOf(segments);
        findings = List.copyOf(findings);
        if (entries < 0) {
            throw new IllegalArgumentException("entries: " + entries + " (expected: >= 0)");
        }
    }

    /** A JSON-friendly tree to show on the boot resource. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("segments", segments);
        m.put("entries", entries);
        m.put("rooturl", rooturl);
        m.put("rooturl_ordered", rooturlOrdered);
        m.put("copymods", copymods);
        m.put("copymods_ordered", copymodsOrdered);
        m.put("overlayroot", overlayroot);
        m.put("overlayroot_ordered", overlayrootOrdered);
        m.put("squashfs_module", squashfsModule);
        m.put("findings", findings.stream().map(Finding::toMap).toList());
        return m;
    }
}
