package io.metalcast.engine.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metalcast.engine.auth.ApiKey;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The client commands of {@code ./metalcast}, with the maas CLI's syntax:
 * <pre>
 * login URL KEY                      (also: login PROFILE URL KEY, as maas takes it; the profile name is ignored)
 * boot-resources read [type=uploaded]
 * boot-resources create name=custom/jammy-web architecture=amd64/generic title=web base_image=ubuntu/jammy filetype=ddgz content@=./web.img.gz
 * boot-resource read ID | boot-resource delete ID
 * machines read | machine read SYSTEM_ID | machine deploy SYSTEM_ID distro_series=custom/jammy-web
 * users whoami
 * </pre>
 * The server and key come from {@code --url}/{@code --key}, else from the environment ({@code METALCAST_URL},
 * {@code METALCAST_KEY}), else from the profile {@code login} wrote. JSON answers go to stdout, the upload's progress
 * bar and errors to stderr.
 */
public final class Cli {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path profileFile;
    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;

    /**
     * @param profileFile where {@code login} keeps the URL and key ({@code ~/.config/metalcast/profile.json})
     * @param env         the environment ({@code METALCAST_URL}, {@code METALCAST_KEY})
     */
    public Cli(Path profileFile, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) {
        this.profileFile = profileFile;
        this.env = Map.copyOf(env);
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    /** True when {@code command} is one of the client's. */
    public static boolean handles(String command) {
        return List.of("login", "boot-resources", "boot-resource", "machines", "machine", "users", "--url", "--key").contains(command);
    }

    /** Runs one command; returns the exit status (0 ok, 1 refused or failed, 2 usage). */
    public int run(List<String> args) {
        try {
            return dispatch(new ArrayList<>(args));
        } catch (MaasApi.ApiException e) {
            err.println("metalcast: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException e) {
            err.println("metalcast: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("metalcast: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private int dispatch(List<String> args) throws IOException, InterruptedException {
        String url = null;
        String key = null;
        while (!args.isEmpty() && args.get(0).startsWith("--")) {
            String flag = args.remove(0);
            if (args.isEmpty()) {
                throw new IllegalArgumentException(flag + ": missing value");
            }
            switch (flag) {
                case "--url" -> url = args.remove(0);
                case "--key" -> key = args.remove(0);
                default -> throw new IllegalArgumentException(flag + ": unknown option (expected: --url URL, --key KEY)");
            }
        }
        if (args.isEmpty()) {
            throw new IllegalArgumentException("command: missing (expected: login, boot-resources, boot-resource, machines, machine, users)");
        }
        String command = args.remove(0);
        if (command.equals("login")) {
            return login(args);
        }
        MaasApi api = connect(url, key);
        String action = args.isEmpty() ? "" : args.remove(0);
        switch (command + " " + action) {
            case "boot-resources read" -> {
                Map<String, String> p = params(args, List.of("type"));
                print(api.get("boot-resources/" + (p.containsKey("type") ? "?type=" + enc(p.get("type")) : "")));
            }
            case "boot-resources create" -> create(api, args);
            case "boot-resource read" -> print(api.get("boot-resources/" + id(args, "ID") + "/"));
            case "boot-resource delete" -> {
                api.delete("boot-resources/" + id(args, "ID") + "/");
                err.println("Success.");
            }
            case "machines read" -> print(api.get("machines/"));
            case "machine read" -> print(api.get("machines/" + id(args, "SYSTEM_ID") + "/"));
            case "machine deploy" -> {
                String id = id(args, "SYSTEM_ID");
                print(api.post("machines/" + id + "/?op=deploy", params(args, List.of("distro_series", "osystem", "user_data")), 200));
            }
            case "users whoami" -> print(api.get("users/?op=whoami"));
            default -> throw new IllegalArgumentException("command: '" + (command + " " + action).trim() + "' (expected: boot-resources read|create,"
                    + " boot-resource read|delete ID, machines read, machine read|deploy SYSTEM_ID, users whoami)");
        }
        return 0;
    }

    private int login(List<String> args) throws IOException, InterruptedException {
        if (args.size() == 3) {
            args.remove(0); // maas login PROFILE URL KEY: one profile here
        }
        if (args.size() != 2) {
            throw new IllegalArgumentException("login: " + args.size() + " arguments (expected: URL KEY)");
        }
        String url = args.get(0);
        ApiKey key = ApiKey.parse(args.get(1));
        MaasApi api = new MaasApi(url, key, clock);
        JsonNode me = api.get("users/?op=whoami");
        ObjectNode p = JSON.createObjectNode();
        p.put("url", url);
        p.put("key", key.formatted());
        Files.createDirectories(profileFile.getParent());
        Path tmp = profileFile.resolveSibling(profileFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(p));
        Files.move(tmp, profileFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        err.println("You are now logged in to " + url + " as " + me.path("username").asText() + " (profile " + profileFile + ").");
        return 0;
    }

    private MaasApi connect(String url, String key) throws IOException {
        url = Optional.ofNullable(url).orElse(env.get("METALCAST_URL"));
        key = Optional.ofNullable(key).orElse(env.get("METALCAST_KEY"));
        if ((url == null || key == null) && Files.isRegularFile(profileFile)) {
            JsonNode p = JSON.readTree(profileFile.toFile());
            url = url == null ? p.path("url").asText(null) : url;
            key = key == null ? p.path("key").asText(null) : key;
        }
        if (url == null || key == null) {
            throw new IllegalArgumentException("not logged in (expected: ./metalcast login URL KEY, --url and --key, or METALCAST_URL"
                    + " and METALCAST_KEY; ./metalcast apikey create prints a key)");
        }
        return new MaasApi(url, ApiKey.parse(key), clock);
    }

    private void create(MaasApi api, List<String> args) throws IOException, InterruptedException {
        Map<String, String> fields = new LinkedHashMap<>();
        Path content = null;
        for (String a : args) {
            int at = a.indexOf("@=");
            int eq = a.indexOf('=');
            if (at > 0 && at < eq + 1 && a.substring(0, at).equals("content")) {
                content = Path.of(a.substring(at + 2));
            } else if (eq > 0) {
                fields.put(a.substring(0, eq), a.substring(eq + 1));
            } else {
                throw new IllegalArgumentException("argument: '" + a + "' (expected: key=value or content@=FILE)");
            }
        }
        if (content == null) {
            throw new IllegalArgumentException("content: missing (expected: content@=FILE, the image to upload)");
        }
        if (!Files.isRegularFile(content)) {
            throw new IllegalArgumentException("content: '" + content + "' (expected: a readable file)");
        }
        ProgressBar bar = new ProgressBar(err, clock);
        JsonNode r = api.createBootResource(fields, content, bar);
        bar.done();
        print(r);
    }

    private static Map<String, String> params(List<String> args, List<String> known) {
        Map<String, String> p = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0 || !known.contains(a.substring(0, eq))) {
                throw new IllegalArgumentException("argument: '" + a + "' (expected: " + String.join("=..., ", known) + "=...)");
            }
            p.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return p;
    }

    private static String id(List<String> args, String what) {
        if (args.isEmpty() || !args.get(0).matches("[A-Za-z0-9]{1,32}")) {
            throw new IllegalArgumentException(what + ": " + (args.isEmpty() ? "missing" : "'" + args.get(0) + "'") + " (expected: an id)");
        }
        return args.remove(0);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void print(JsonNode j) throws IOException {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j));
    }

    /** A one-line progress bar redrawn in place on stderr. */
    static final class ProgressBar implements MaasApi.Progress {
        private final PrintStream err;
        private final Clock clock;
        private final long started;
        private long startedAt = -1;
        private long lastDraw;
        private boolean drawn;

        ProgressBar(PrintStream err, Clock clock) {
            this.err = err;
            this.clock = clock;
            this.started = clock.millis();
        }

        @Override
        public void update(long sent, long total) {
            if (startedAt < 0) {
                startedAt = sent;
            }
            long now = clock.millis();
            if (sent < total && now - lastDraw < 200) {
                return;
            }
            lastDraw = now;
            int width = 30;
            int filled = total == 0 ? width : (int) (width * sent / total);
            double secs = Math.max(0.001, (now - started) / 1000.0);
            err.printf("\rUploading [%s%s] %3d%% %d/%d MiB %.1f MiB/s", "#".repeat(filled), " ".repeat(width - filled),
                    total == 0 ? 100 : (int) (100 * sent / total), sent >> 20, total >> 20, (sent - startedAt) / secs / (1 << 20));
            err.flush();
            drawn = true;
        }

        void done() {
            if (drawn) {
                err.println();
            }
        }
    }
}
