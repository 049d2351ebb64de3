package io.metalcast.engine.config;

import java.util.Objects;

/**
 * The base URLs machines reach us on, from {@code advertise} and the listener ports.
 *
 * @param api  {@code http://<advertise>:<api port>} (REST API, metadata, webhook)
 * @param boot {@code http://<advertise>:<http port>} (boot files, images, ephemerals)
 */
public record Urls(String api, String boot) {
    public Urls {
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(boot, "boot");
    }

    /** From the configured ports. */
    public static Urls of(EngineConfig config) {
        return of(config, config.api().port(), config.http().port());
    }

    /** With the ports actually bound (a configured port 0 binds a free one). */
    public static Urls of(EngineConfig config, int apiPort, int httpPort) {
        String host = config.advertise().getHostAddress();
        return new Urls("http://" + host + ":" + apiPort, "http://" + host + ":" + httpPort);
    }
}
