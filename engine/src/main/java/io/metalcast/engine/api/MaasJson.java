package io.metalcast.engine.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.image.StoredBlockMap;
import io.metalcast.engine.image.StoredRawView;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.BootResourceRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Machines and boot resources in the JSON shapes MAAS's API 2.0 uses. */
final class MaasJson {
    static final String API = "/MAAS/api/2.0/";
    private final ObjectMapper mapper;

    MaasJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    byte[] write(Object o) {
        try {
            return mapper.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("json: " + e.getMessage(), e);
        }
    }

    static Map<String, Object> machine(Machine m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("system_id", m.systemId());
        j.put("hostname", m.hostname());
        j.put("fqdn", m.hostname());
        j.put("status", m.status().code());
        j.put("status_name", m.status().displayName());
        j.put("osystem", m.row().osystem());
        j.put("distro_series", m.row().distroSeries());
        j.put("architecture", m.row().architecture());
        Map<String, Object> iface = new LinkedHashMap<>();
        iface.put("name", "eth0");
        iface.put("mac_address", m.row().mac());
        j.put("boot_interface", iface);
        j.put("interface_set", List.of(iface));
        j.put("resource_uri", API + "machines/" + m.systemId() + "/");
        return j;
    }

    static Map<String, Object> resource(BootResource br, boolean withSets) {
        BootResourceRecord r = br.resource();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", r.id());
        j.put("type", r.type());
        j.put("name", r.name());
        j.put("architecture", r.architecture());
        j.put("resource_uri", API + "boot-resources/" + r.id() + "/");
        j.put("subarches", r.architecture().substring(r.architecture().indexOf('/') + 1));
        j.put("title", r.title());
        j.put("base_image", r.baseImage());
        br.inspection().ifPresent(i -> j.put("inspection", i));
        Map<String, Object> synced = br.synced();
        if (!synced.isEmpty()) {
            for (String k : List.of("version", "product_id", "mirror", "imported_at", "initramfs", "warnings")) {
                if (synced.containsKey(k)) {
                    j.put(k, synced.get(k));
                }
            }
        }
        if (withSets) {
            Map<String, Map<String, Object>> sets = new LinkedHashMap<>();
            Map<String, long[]> totals = new LinkedHashMap<>();
            for (BootFileRecord f : br.files()) {
                Map<String, Object> set = sets.computeIfAbsent(f.version(), v -> {
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("version", v);
                    s.put("label", r.type().equals(BootResourceRecord.UPLOADED) ? "uploaded" : "stable");
                    s.put("size", 0L);
                    s.put("complete", true);
                    s.put("progress", 0.0);
                    s.put("files", new LinkedHashMap<String, Object>());
                    return s;
                });
                long received = br.receivedOf(f);
                long[] t = totals.computeIfAbsent(f.version(), v -> new long[2]);
                t[0] += f.size();
                t[1] += received;
                set.put("size", t[0]);
                set.put("complete", (Boolean) set.get("complete") && f.complete());
                set.put("progress", percent(t[1], t[0]));
                Map<String, Object> file = new LinkedHashMap<>();
                file.put("filename", f.filename());
                // MAAS names the file type by its stored name (root-dd.raw), not by the upload filetype (ddraw).
                file.put("filetype", ImageFiletype.ofUploadName(f.filetype()).map(ImageFiletype::storedName).orElse(f.filetype()));
                file.put("sha256", f.sha256());
                file.put("size", f.size());
                file.put("complete", f.complete());
                file.put("progress", percent(received, f.size()));
                if (br.inspections().containsKey(f.id())) {
                    file.put("inspection", br.inspections().get(f.id()));
                }
                StoredBlockMap map = br.blockMaps().get(f.id());
                if (map != null) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("sha256", map.sha256());
                    m.put("mapped_bytes", map.mappedBytes());
                    m.put("image_size", map.imageSize());
                    file.put("block_map", m);
                }
                StoredRawView view = br.rawViews().get(f.id());
                if (view != null) {
                    Map<String, Object> v = new LinkedHashMap<>();
                    v.put("sha256", view.sha256());
                    v.put("size", view.size());
                    v.put("mapped_bytes", view.map().mappedBytes());
                    v.put("block_map_sha256", view.map().sha256());
                    file.put("raw_view", v);
                }
                if (!f.complete()) {
                    file.put("upload_uri", API + "boot-resources/" + r.id() + "/upload/" + f.id() + "/");
                    file.put("uploaded_size", received);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> files = (Map<String, Object>) set.get("files");
                files.put(f.filename(), file);
            }
            if (synced.get("version") instanceof String version && synced.get("files") instanceof Map<?, ?> imported) {
                Map<String, Object> set = new LinkedHashMap<>();
                Map<String, Object> files = new LinkedHashMap<>();
                long total = 0;
                for (Map.Entry<?, ?> e : imported.entrySet()) {
                    Map<?, ?> f = (Map<?, ?>) e.getValue();
                    Map<String, Object> file = new LinkedHashMap<>();
                    file.put("filename", e.getKey());
                    file.put("filetype", e.getKey());
                    file.put("sha256", f.get("sha256"));
                    file.put("size", f.get("size"));
                    file.put("complete", true);
                    file.put("progress", 100.0);
                    total += f.get("size") instanceof Number n ? n.longValue() : 0;
                    files.put(String.valueOf(e.getKey()), file);
                }
                set.put("version", version);
                set.put("label", "stable");
                set.put("size", total);
                set.put("complete", true);
                set.put("progress", 100.0);
                set.put("files", files);
                sets.put(version, set);
            }
            j.put("sets", sets);
        }
        return j;
    }

    /** Progress as MAAS shows it: a percentage, 100.0 when complete. */
    private static double percent(long received, long size) {
        return size <= 0 ? 0.0 : Math.round(1000.0 * received / size) / 10.0;
    }
}
