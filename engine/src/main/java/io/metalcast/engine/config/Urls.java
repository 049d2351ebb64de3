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

    public static Urls of(EngineConfig config) {
        String host = config.advertise().getHostAddress();
        return new Urls("http://" + host + ":" + config.api().port(), "http://" + host + ":" + config.http().port());
    }
}
