package io.metalcast.engine.api;

import io.metalcast.engine.image.BootResource;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.store.BootFileRecord;
import io.metalcast.engine.store.EventRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The operator's status page: plain HTML, refreshed by the browser every few seconds. */
final class StatusPage {
    private StatusPage() {
    }

    static String render(List<Machine> machines, List<BootResource> resources, Map<List<String>, Long> uploaded, long deployed) {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">")
                .append("<title>metalcast</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#eee}</style></head><body>\n")
                .append("<h1>metalcast</h1>\n<h2>Machines (").append(machines.size()).append(")</h2>\n<table>\n")
                .append("<tr><th>Hostname</th><th>System id</th><th>MAC</th><th>State</th><th>Image</th><th>Last event</th></tr>\n");
        for (Machine m : machines) {
            h.append("<tr><td>").append(esc(m.hostname())).append("</td><td>").append(esc(m.systemId())).append("</td><td>")
                    .append(esc(m.row().mac())).append("</td><td>").append(esc(m.status().displayName())).append("</td><td>")
                    .append(esc(m.imageName())).append("</td><td>").append(m.lastEvent().map(StatusPage::event).orElse(""))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Boot resources (").append(resources.size()).append(")</h2>\n<table>\n")
                .append("<tr><th>Id</th><th>Type</th><th>Name</th><th>Architecture</th><th>Base image</th><th>Newest file</th><th>Inspection</th></tr>\n");
        for (BootResource r : resources) {
            String file = "";
            if (!r.files().isEmpty()) {
                BootFileRecord f = r.files().get(r.files().size() - 1);
                file = f.version() + " " + f.filename() + " " + f.size() + " bytes sha256 " + f.sha256().substring(0, 16)
                        + (f.complete() ? "" : " uploading: " + r.receivedOf(f) + " of " + f.size() + " bytes received")
                        + (r.blockMaps().containsKey(f.id()) ? "; block map: " + r.blockMaps().get(f.id()).summary() : "")
                        + (r.rawViews().containsKey(f.id()) ? "; raw view: " + r.rawViews().get(f.id()).map().summary() : "");
            }
            h.append("<tr><td>").append(r.resource().id()).append("</td><td>").append(esc(r.resource().type())).append("</td><td>")
                    .append(esc(r.resource().name())).append("</td><td>").append(esc(r.resource().architecture())).append("</td><td>")
                    .append(esc(r.resource().baseImage())).append("</td><td>").append(esc(file)).append("</td><td>")
                    .append(esc(inspection(r))).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Static images</h2>\n<table>\n<tr><th>Metric</th><th>base_image</th><th>file_type</th><th>Value</th></tr>\n");
        for (Map.Entry<List<String>, Long> e : uploaded.entrySet()) {
            h.append("<tr><td>maas_custom_static_images_uploaded</td><td>").append(esc(e.getKey().get(0))).append("</td><td>")
                    .append(esc(e.getKey().get(1))).append("</td><td>").append(e.getValue()).append("</td></tr>\n");
        }
        h.append("<tr><td>maas_custom_static_images_deployed</td><td></td><td></td><td>").append(deployed).append("</td></tr>\n");
        h.append("</table>\n<p><a href=\"/metrics\">metrics</a></p>\n</body></html>\n");
        return h.toString();
    }

    /** What the inspection found, in one line: release, cloud-init, netplan, curtin hooks, warnings. */
    static String inspection(BootResource r) {
        if (!r.synced().isEmpty()) {
            return synced(r.synced());
        }
        Optional<Map<String, Object>> found = r.inspection();
        if (found.isEmpty()) {
            return "";
        }
        Map<String, Object> i = found.get();
        StringBuilder b = new StringBuilder();
        if (i.get("os_release") instanceof Map<?, ?> os) {
            b.append("release ").append(os.get("id")).append(' ').append(os.get("version_id"));
            if (os.get("version_codename") instanceof String code && !code.isEmpty()) {
                b.append(" (").append(code).append(')');
            }
        } else {
            b.append("release unknown");
        }
        if (i.get("found") instanceof Map<?, ?> f) {
            b.append("; cloud-init ").append(yes(f.get("cloud_init"))).append(", netplan ").append(yes(f.get("netplan")))
                    .append(", curtin-hooks ").append(yes(f.get("curtin_hooks")));
        }
        b.append("; ").append(i.get("content"));
        warnings(b, i.get("warnings"));
        return b.toString();
    }

    /** A Synced resource: the imported version and kernel sha256, then the initramfs scan's warnings. */
    private static String synced(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        if (!Boolean.TRUE.equals(s.get("present"))) {
            return "files missing";
        }
        if (s.get("version") instanceof String v) {
            b.append("imported version ").append(v);
            if (s.get("files") instanceof Map<?, ?> files && files.get("boot-kernel") instanceof Map<?, ?> k) {
                b.append(", boot-kernel sha256 ").append(String.valueOf(k.get("sha256")), 0, Math.min(16, String.valueOf(k.get("sha256")).length()));
            }
        } else {
            b.append("placed by hand");
        }
        if (s.get("initramfs") instanceof Map<?, ?> i) {
            b.append("; initramfs ").append(i.get("segments")).append(" rooturl ").append(yes(i.get("rooturl")))
                    .append(", squashfs module ").append(yes(i.get("squashfs_module")));
        }
        warnings(b, s.get("warnings"));
        return b.toString();
    }

    static void warnings(StringBuilder b, Object warnings) {
        if (warnings instanceof List<?> w && !w.isEmpty()) {
            b.append("; warnings: ");
            for (int k = 0; k < w.size(); k++) {
                b.append(k == 0 ? "" : " | ").append(w.get(k));
            }
        }
    }

    private static String yes(Object flag) {
        return Boolean.TRUE.equals(flag) ? "yes" : "no";
    }

    private static String event(EventRecord e) {
        return esc(e.time().toString() + " " + e.type() + " " + e.name() + (e.result().isEmpty() ? "" : " " + e.result())
                + (e.description().isEmpty() ? "" : ": " + e.description()));
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
