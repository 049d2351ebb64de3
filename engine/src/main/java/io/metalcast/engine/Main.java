package io.metalcast.engine;

import io.metalcast.engine.config.ConfigException;
import io.metalcast.engine.config.EngineConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/** The launcher: {@code serve [--config FILE]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("serve")) {
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
        EngineConfig config;
        try {
            config = EngineConfig.load(configFile);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
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

    private static void usage() {
        System.err.println("usage: metalcast serve [--config FILE]");
        System.exit(2);
    }
}
