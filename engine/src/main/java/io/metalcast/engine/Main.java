package io.metalcast.engine;

import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.client.Cli;
import io.metalcast.engine.config.ConfigException;
import io.metalcast.engine.config.EngineConfig;
import io.metalcast.engine.ephemeral.EphemeralImports;
import io.metalcast.engine.ephemeral.InitramfsCheck;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport;
import io.metalcast.engine.ephemeral.simplestreams.MirrorLocation;
import io.metalcast.engine.ephemeral.simplestreams.Selection;
import io.metalcast.engine.store.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The launcher: {@code serve [--config FILE]}, {@code apikey create [--config FILE] [--username NAME]}, and the MAAS
 * client commands of {@link Cli} ({@code login}, {@code boot-resources}, {@code machine}...).
 */
public final class Main {
    private static final String USAGE = String.join("\n",
            "usage: metalcast serve [--config FILE]",
            "       metalcast apikey create [--config FILE] [--username NAME]   (the engine must be stopped; a running engine's",
            "                                                               operator key is in <data_dir>/apikey)",
            "       metalcast import MIRROR [--release jammy]... [--arch amd64]... [--config FILE]   (into data_dir; no engine needed)",
            "       metalcast login URL KEY",
            "       metalcast [--url URL --key KEY] boot-resources read [type=all|synced|uploaded]",
            "       metalcast boot-resources create name=custom/NAME architecture=amd64/generic title=T base_image=ubuntu/jammy"
                    + " filetype=ddraw content@=FILE",
            "       metalcast boot-resource read|delete ID",
            "       metalcast machines read | machine read SYSTEM_ID | machine deploy SYSTEM_ID distro_series=custom/NAME",
            "       metalcast users whoami");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        if (Cli.handles(args[0])) {
            String config = Optional.ofNullable(System.getenv("XDG_CONFIG_HOME")).filter(s -> !s.isEmpty())
                    .orElse(System.getProperty("user.home") + "/.config");
            Cli cli = new Cli(Path.of(config, "metalcast", "profile.json"), System.getenv(), System.out, System.err, Clock.systemUTC());
            System.exit(cli.run(Arrays.asList(args)));
            return;
        }
        if (args[0].equals("apikey")) {
            apikey(args);
            return;
        }
        if (args[0].equals("import")) {
            System.exit(importImages(args));
            return;
        }
        if (!args[0].equals("serve")) {
            usage();
            return;
        }
        Optional<Path> configFile = Optional.empty();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = Optional.of(Path.of(args[++i]));
            } else {
                usage();
                return;
            }
        }
        EngineConfig config = config(configFile);
        Engine engine = new Engine(config);
        BootServers[] servers = new BootServers[1];
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (servers[0] != null) {
                servers[0].close();
            }
            engine.close();
            stopped.countDown();
        }, "metalcast-shutdown"));
        try {
            engine.start();
            servers[0] = BootServers.start(engine);
        } catch (IOException | RuntimeException e) {
            System.err.println("metalcast: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        stopped.await();
    }

    /** {@code apikey create}: a new key straight into the database (the engine holds the H2 file while it runs). */
    private static void apikey(String[] args) {
        if (args.length < 2 || !args[1].equals("create")) {
            usage();
            return;
        }
        Optional<Path> configFile = Optional.empty();
        String username = "admin";
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = Optional.of(Path.of(args[++i]));
            } else if (args[i].equals("--username") && i + 1 < args.length) {
                username = args[++i];
            } else {
                usage();
                return;
            }
        }
        EngineConfig config = config(configFile);
        Database db;
        try {
            Files.createDirectories(config.dataDir());
            db = Database.open(config.database().jdbcUrl(config.dataDir()));
        } catch (IOException | RuntimeException e) {
            System.err.println("metalcast: cannot open the database under " + config.dataDir() + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "\nmetalcast: while the engine runs, use its"
                    + " operator key in " + config.dataDir().resolve(Engine.OPERATOR_KEY_FILE));
            System.exit(1);
            return;
        }
        try (db) {
            ApiKey key = new ApiKeys(db, Clock.systemUTC()).create(username);
            System.out.println(key.formatted());
        } catch (RuntimeException e) {
            System.err.println("metalcast: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * {@code import MIRROR}: imports ephemeral images straight into the configured {@code data_dir} (the importer
     * writes files only, so the engine may run or not) and prints the report. Exit 0 when at least one set is usable.
     */
    public static int importImages(String[] args) {
        Optional<Path> configFile = Optional.empty();
        String mirror = null;
        List<String> releases = new ArrayList<>();
        List<String> arches = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = Optional.of(Path.of(args[++i]));
            } else if (args[i].equals("--release") && i + 1 < args.length) {
                releases.add(args[++i]);
            } else if (args[i].equals("--arch") && i + 1 < args.length) {
                arches.add(args[++i]);
            } else if (mirror == null && !args[i].startsWith("--")) {
                mirror = args[i];
            } else {
                System.err.println(USAGE);
                return 2;
            }
        }
        if (mirror == null) {
            System.err.println("metalcast: import: MIRROR missing (expected: a simplestreams mirror URL or directory)\n" + USAGE);
            return 2;
        }
        EngineConfig config = config(configFile);
        Selection selection;
        try {
            selection = Selection.ubuntu(releases.isEmpty() ? config.images().releases() : releases,
                    arches.isEmpty() ? config.images().arches() : arches);
        } catch (IllegalArgumentException e) {
            System.err.println("metalcast: import: " + e.getMessage());
            return 2;
        }
        InitramfsCheck check = new InitramfsCheck();
        ImportReport report;
        try {
            report = EphemeralImports.runOnce(MirrorLocation.toUri(mirror), selection, config.dataDir(), check, Clock.systemUTC());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("metalcast: import: interrupted");
            return 1;
        } catch (Exception e) {
            System.err.println("metalcast: import: " + e.getMessage());
            return 1;
        }
        for (String line : EphemeralImports.describe(report, check.warnings())) {
            System.out.println(line);
        }
        if (!EphemeralImports.usable(report)) {
            System.err.println("metalcast: import: nothing usable was imported from " + report.mirror());
            return 1;
        }
        return 0;
    }

    private static EngineConfig config(Optional<Path> configFile) {
        try {
            return EngineConfig.load(configFile);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            throw e;
        }
    }

    private static void usage() {
        System.err.println(USAGE);
        System.exit(2);
    }
}
