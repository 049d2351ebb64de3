package io.metalcast.engine.config;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/** Reads the YAML into {@link EngineConfig}, checking every key against the known ones. */
final class ConfigLoader {
    private static final List<String> TOP = List.of("data_dir", "database", "api", "http", "tftp", "advertise", "dhcp", "boot", "deploy", "images");
    private static final List<String> DHCP = List.of("interfaces", "subnet", "range", "router", "dns", "lease_seconds");

    private ConfigLoader() {
    }

    static EngineConfig load(Optional<Path> file) {
        if (file.isEmpty()) {
            return parse("");
        }
        String text;
        try {
            text = Files.readString(file.get(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("config: cannot read " + file.get() + ": " + e.getMessage(), e);
        }
        return parse(text);
    }

    static EngineConfig parse(String yaml) {
        Object loaded;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            loaded = new Yaml(new SafeConstructor(options)).load(yaml);
        } catch (YAMLException e) {
            throw new ConfigException("config: not valid YAML: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        Map<String, Object> root = loaded == null ? Map.of() : map(loaded, "");
        keys(root, "", TOP);

        Path dataDir = path(root.get("data_dir"), "data_dir", "./data");

        Map<String, Object> db = section(root, "database", List.of("url"));
        String dbUrl = string(db.get("url"), "database.url", "");
        if (!dbUrl.isEmpty() && !dbUrl.startsWith("jdbc:")) {
            throw bad("database.url", dbUrl, "a JDBC URL starting with jdbc:, or empty");
        }

        EngineConfig.Listener api = listener(section(root, "api", List.of("listen")), "api.listen", "0.0.0.0:5240");
        EngineConfig.Listener http = listener(section(root, "http", List.of("listen")), "http.listen", "0.0.0.0:5248");
        EngineConfig.Listener tftp = listener(section(root, "tftp", List.of("listen")), "tftp.listen", "0.0.0.0:69");

        String adv = string(root.get("advertise"), "advertise", "");
        Optional<Inet4Address> advertise = adv.isEmpty() ? Optional.empty()
                : Optional.of(Ipv4.parse(adv).orElseThrow(() -> bad("advertise", adv, "an IPv4 address")));

        Map<String, Object> d = section(root, "dhcp", DHCP);
        List<String> interfaces = new ArrayList<>();
        for (Object o : list(d.get("interfaces"), "dhcp.interfaces")) {
            String name = string(o, "dhcp.interfaces", "");
            if (!name.matches("[A-Za-z0-9._@-]{1,15}")) {
                throw bad("dhcp.interfaces", name, "an interface name");
            }
            interfaces.add(name);
        }
        Optional<EngineConfig.Subnet> subnet = Optional.ofNullable(d.get("subnet")).map(o -> subnet(string(o, "dhcp.subnet", "")));
        Optional<EngineConfig.Range> range = Optional.ofNullable(d.get("range")).map(o -> range(string(o, "dhcp.range", "")));
        Optional<Inet4Address> router = Optional.ofNullable(d.get("router")).map(o -> address(string(o, "dhcp.router", ""), "dhcp.router"));
        List<Inet4Address> dns = new ArrayList<>();
        for (Object o : list(d.get("dns"), "dhcp.dns")) {
            dns.add(address(string(o, "dhcp.dns", ""), "dhcp.dns"));
        }
        int lease = integer(d.get("lease_seconds"), "dhcp.lease_seconds", 600, 1, Integer.MAX_VALUE);
        if (!interfaces.isEmpty()) {
            if (subnet.isEmpty()) {
                throw new ConfigException("config: dhcp.subnet: missing (expected: a.b.c.d/n when dhcp.interfaces is set)");
            }
            if (range.isEmpty()) {
                throw new ConfigException("config: dhcp.range: missing (expected: a.b.c.d-a.b.c.e when dhcp.interfaces is set)");
            }
            if (advertise.isEmpty()) {
                throw new ConfigException("config: advertise: missing (expected: this server's IPv4 address in "
                        + subnet.get() + " when dhcp.interfaces is set)");
            }
            EngineConfig.Subnet s = subnet.get();
            EngineConfig.Range r = range.get();
            if (!s.contains(r.first()) || !s.contains(r.last())) {
                throw bad("dhcp.range", r.first().getHostAddress() + "-" + r.last().getHostAddress(), "a range inside " + s);
            }
            if (!s.contains(advertise.get())) {
                throw bad("advertise", advertise.get().getHostAddress(), "an address inside dhcp.subnet " + s);
            }
            if (router.isPresent() && !s.contains(router.get())) {
                throw bad("dhcp.router", router.get().getHostAddress(), "an address inside dhcp.subnet " + s);
            }
        }
        EngineConfig.Dhcp dhcp = new EngineConfig.Dhcp(interfaces, subnet, range, router, dns, lease);

        Map<String, Object> b = section(root, "boot", List.of("ipxe_dir", "kernel_options"));
        Path ipxeDir = path(b.get("ipxe_dir"), "boot.ipxe_dir", "/usr/lib/ipxe");
        String kernelOptions = string(b.get("kernel_options"), "boot.kernel_options", "console=tty0 console=ttyS0,115200n8");
        if (!kernelOptions.matches("[A-Za-z0-9._:/=,+@ -]*")) {
            throw bad("boot.kernel_options", kernelOptions, "letters, digits, spaces and ._:/=,+@- only");
        }

        Map<String, Object> dep = section(root, "deploy", List.of("timeout_seconds"));
        int timeout = integer(dep.get("timeout_seconds"), "deploy.timeout_seconds", 1800, 1, 86_400 * 7);

        Map<String, Object> im = section(root, "images", List.of("source", "releases", "arches", "commissioning_release"));
        String source = string(im.get("source"), "images.source", "").trim();
        if (!source.isEmpty() && (source.contains("?") || source.contains("#") || !source.matches("[^\\s]+"))) {
            throw bad("images.source", source, "a mirror URL (http://, https://, file:) or a directory, without spaces, query or fragment");
        }
        if (source.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !source.matches("(?i)(https?://[^/]+.*|file:.+)")) {
            throw bad("images.source", source, "a mirror URL (http://, https://, file:) or a directory, without spaces, query or fragment");
        }
        List<String> releases = segments(im.get("releases"), "images.releases", List.of("jammy"), "an Ubuntu release name such as jammy");
        List<String> arches = segments(im.get("arches"), "images.arches", List.of("amd64"), "an architecture such as amd64");
        String commissioning = string(im.get("commissioning_release"), "images.commissioning_release", "ubuntu/jammy");
        if (!commissioning.matches("ubuntu/" + SEGMENT)) {
            throw bad("images.commissioning_release", commissioning, "ubuntu/<release> such as ubuntu/jammy");
        }

        return new EngineConfig(dataDir, new EngineConfig.Database(dbUrl), api, http, tftp,
                advertise.orElseGet(() -> Ipv4.parse("127.0.0.1").orElseThrow()), dhcp,
                new EngineConfig.Boot(ipxeDir, kernelOptions), new EngineConfig.Deploy(Duration.ofSeconds(timeout)),
                new EngineConfig.Images(source, releases, arches, commissioning));
    }

    private static final String SEGMENT = "[a-z0-9][a-z0-9._-]{0,63}";

    /** A non-empty list of directory-safe names, without duplicates. */
    private static List<String> segments(Object o, String key, List<String> dflt, String expected) {
        if (o == null) {
            return dflt;
        }
        List<String> out = new ArrayList<>();
        for (Object item : list(o, key)) {
            String name = string(item, key, "");
            if (!name.matches(SEGMENT)) {
                throw bad(key, name, expected);
            }
            if (out.contains(name)) {
                throw bad(key, name, "each name once");
            }
            out.add(name);
        }
        if (out.isEmpty()) {
            throw bad(key, "[]", "at least one name");
        }
        return out;
    }

    private static ConfigException bad(String key, Object value, String expected) {
        String shown = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
        return new ConfigException("config: " + key + ": " + shown + " (expected: " + expected + ")");
    }

    private static Map<String, Object> section(Map<String, Object> root, String key, List<String> known) {
        Object o = root.get(key);
        if (o == null) {
            return Map.of();
        }
        Map<String, Object> m = map(o, key);
        keys(m, key, known);
        return m;
    }

    private static Map<String, Object> map(Object o, String key) {
        if (!(o instanceof Map<?, ?> m)) {
            throw bad(key.isEmpty() ? "(top level)" : key, o, "a mapping");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw bad(key.isEmpty() ? String.valueOf(e.getKey()) : key + "." + e.getKey(), e.getKey(), "a string key");
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    private static void keys(Map<String, Object> m, String prefix, List<String> known) {
        for (String k : m.keySet()) {
            if (!known.contains(k)) {
                throw new ConfigException("config: " + (prefix.isEmpty() ? k : prefix + "." + k) + ": unknown key (expected one of: "
                        + String.join(", ", known) + ")");
            }
        }
    }

    private static String string(Object o, String key, String dflt) {
        if (o == null) {
            return dflt;
        }
        if (!(o instanceof String s)) {
            throw bad(key, o, "a string");
        }
        return s;
    }

    private static List<?> list(Object o, String key) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> l)) {
            throw bad(key, o, "a list");
        }
        return l;
    }

    private static int integer(Object o, String key, int dflt, int min, int max) {
        if (o == null) {
            return dflt;
        }
        if (!(o instanceof Integer i) || i < min || i > max) {
            throw bad(key, o, "an integer " + min + ".." + max);
        }
        return i;
    }

    private static Path path(Object o, String key, String dflt) {
        String s = string(o, key, dflt);
        if (s.isEmpty()) {
            throw bad(key, s, "a directory path");
        }
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw bad(key, s, "a directory path");
        }
    }

    private static EngineConfig.Listener listener(Map<String, Object> section, String key, String dflt) {
        String s = string(section.get("listen"), key, dflt);
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw bad(key, s, "host:port");
        }
        String host = s.substring(0, colon);
        String port = s.substring(colon + 1);
        Optional<Inet4Address> addr = Ipv4.parse(host);
        if (addr.isEmpty() || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(port) > 65535) {
            throw bad(key, s, "host:port");
        }
        return new EngineConfig.Listener(new InetSocketAddress(addr.get(), Integer.parseInt(port)));
    }

    private static Inet4Address address(String s, String key) {
        return Ipv4.parse(s).orElseThrow(() -> bad(key, s, "an IPv4 address"));
    }

    private static EngineConfig.Subnet subnet(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw bad("dhcp.subnet", s, "a.b.c.d/n");
        }
        Optional<Inet4Address> net = Ipv4.parse(s.substring(0, slash));
        String p = s.substring(slash + 1);
        if (net.isEmpty() || p.isEmpty() || p.length() > 2 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(p) > 32) {
            throw bad("dhcp.subnet", s, "a.b.c.d/n");
        }
        return new EngineConfig.Subnet(net.get(), Integer.parseInt(p));
    }

    private static EngineConfig.Range range(String s) {
        int dash = s.indexOf('-');
        Optional<Inet4Address> first = dash < 0 ? Optional.empty() : Ipv4.parse(s.substring(0, dash).trim());
        Optional<Inet4Address> last = dash < 0 ? Optional.empty() : Ipv4.parse(s.substring(dash + 1).trim());
        if (first.isEmpty() || last.isEmpty() || Ipv4.toLong(first.get()) > Ipv4.toLong(last.get())) {
            throw bad("dhcp.range", s, "a.b.c.d-a.b.c.e, first not above last");
        }
        return new EngineConfig.Range(first.get(), last.get());
    }
}
