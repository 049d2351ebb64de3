package io.metalcast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.config.EngineConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code metalcast apikey create} as a real process, and the operator key file the engine keeps. */
class MainTest {

    @Test
    void apikeyCreatePrintsAKeyTheEngineAccepts(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path config = tmp.resolve("metalcast.yaml");
        Files.writeString(config, "data_dir: '" + data + "'\napi:\n  listen: 127.0.0.1:0\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.metalcast.engine.Main", "apikey", "create",
                "--config", config.toString(), "--username", "operator").redirectError(tmp.resolve("err.log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("err.log")));
        ApiKey key = ApiKey.parse(out);

        EngineConfig c = EngineConfig.load(Optional.of(config));
        try (Engine engine = new Engine(c, Clock.systemUTC(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            long now = Clock.systemUTC().instant().getEpochSecond();
            assertEquals("operator", engine.apiKeys().authenticate(new ApiKeys.Signed(key.consumerKey(), key.tokenKey(), "&" + key.tokenSecret(),
                    "n1", Long.toString(now))));
            Path file = data.resolve(Engine.OPERATOR_KEY_FILE);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(engine.operatorKey(), ApiKey.parse(Files.readString(file)));
        }
        try (Engine again = new Engine(EngineConfig.load(Optional.of(config)), Clock.systemUTC(),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            assertEquals(ApiKey.parse(Files.readString(data.resolve(Engine.OPERATOR_KEY_FILE))), again.operatorKey(), "kept across restarts");
        }
    }
}
