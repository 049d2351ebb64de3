package io.metalcast.curtin.config;

import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/** Renders a {@link CurtinConfig} as the YAML real curtin accepts, and reads it back (the installer's side). */
public final class CurtinYaml {
    private CurtinYaml() {
    }

    public static String render(CurtinConfig config) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> sources = new LinkedHashMap<>();
        config.sources().forEach((name, s) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", s.type());
            m.put("uri", s.uri());
            if (!s.sha256().isEmpty()) {
                m.put("sha256", s.sha256());
            }
            if (s.size() >= 0) {
                m.put("size", s.size());
            }
            if (!s.bmap().isEmpty()) {
                m.put("bmap", s.bmap());
                m.put("bmap_sha256", s.bmapSha256());
            }
            sources.put(name, m);
        });
        root.put("sources", sources);
        Map<String, Object> reporting = new LinkedHashMap<>();
        config.reporting().forEach((name, r) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "webhook");
            m.put("endpoint", r.endpoint());
            m.put("consumer_key", r.consumerKey());
            m.put("token_key", r.tokenKey());
            m.put("token_secret", r.tokenSecret());
            reporting.put(name, m);
        });
        root.put("reporting", reporting);
        if (!config.writeFiles().isEmpty()) {
            Map<String, Object> files = new LinkedHashMap<>();
            config.writeFiles().forEach((name, f) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", f.path());
                m.put("content", f.content());
                m.put("permissions", f.permissions());
                files.put(name, m);
            });
            root.put("write_files", files);
        }
        Map<String, Object> install = new LinkedHashMap<>();
        install.put("log_file", config.installLogFile());
        root.put("install", install);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(new Representer(options), options).dump(root);
    }

    /** Reads the keys this model knows; unknown keys are ignored, as curtin ignores them. */
    public static CurtinConfig parse(String yaml) {
        Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        Map<String, Object> root = map(loaded, "config");
        Map<String, Source> sources = new LinkedHashMap<>();
        map(root.getOrDefault("sources", Map.of()), "sources").forEach((name, v) -> {
            if (v instanceof String uri) {
                sources.put(name, new Source("tgz", uri, "", -1));
            } else {
                Map<String, Object> m = map(v, "sources." + name);
                Object size = m.get("size");
                sources.put(name, new Source(string(m, "type", "sources." + name), string(m, "uri", "sources." + name),
                        optional(m, "sha256"), size instanceof Number n ? n.longValue() : -1, optional(m, "bmap"), optional(m, "bmap_sha256")));
            }
        });
        Map<String, WebhookReporter> reporting = new LinkedHashMap<>();
        map(root.getOrDefault("reporting", Map.of()), "reporting").forEach((name, v) -> {
            Map<String, Object> m = map(v, "reporting." + name);
            if ("webhook".equals(m.get("type"))) {
                String where = "reporting." + name;
                reporting.put(name, new WebhookReporter(string(m, "endpoint", where), optional(m, "consumer_key"),
                        optional(m, "token_key"), optional(m, "token_secret")));
            }
        });
        Map<String, WriteFile> writeFiles = new LinkedHashMap<>();
        map(root.getOrDefault("write_files", Map.of()), "write_files").forEach((name, v) -> {
            Map<String, Object> m = map(v, "write_files." + name);
            writeFiles.put(name, new WriteFile(string(m, "path", "write_files." + name), optional(m, "content"),
                    permissions(m.getOrDefault("permissions", "0644"))));
        });
        Map<String, Object> install = map(root.getOrDefault("install", Map.of()), "install");
        return new CurtinConfig(sources, reporting, writeFiles, optional(install, "log_file"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String where) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }
        throw new IllegalArgumentException(where + ": " + (o == null ? "nothing" : o.getClass().getSimpleName()) + " (expected: a mapping)");
    }

    private static String string(Map<String, Object> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + "." + key + ": missing (expected: a string)");
        }
        return v.toString();
    }

    /** An unquoted {@code permissions: 0644} is an octal integer in YAML 1.1 (as PyYAML reads it for curtin): keep it octal. */
    private static String permissions(Object v) {
        return v instanceof Number n ? "0" + Long.toOctalString(n.longValue()) : v.toString();
    }

    private static String optional(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? "" : v.toString();
    }
}
