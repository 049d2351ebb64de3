package io.metalcast.testbed.lab;

import io.metalcast.engine.Engine;
import io.metalcast.engine.auth.ApiKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The engine as the lab runs it: `metalcast serve` in its own JVM inside the lab's namespace, so its DHCP, TFTP and HTTP
 * servers bind the namespace's bridge and nothing else. Started from the built classes of the engine module; stopped by
 * PID on close.
 */
public final class EngineProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final URI api;
    private ApiKey key;

    private EngineProcess(Process process, Path log, URI api) {
        this.process = process;
        this.log = log;
        this.api = api;
    }

    /** Writes the lab's engine configuration: DHCP on the bridge only, everything else on the defaults' ports. */
    public static Path writeConfig(Path dir, Path dataDir, String kernelOptions) throws IOException {
        Path config = dir.resolve("metalcast.yaml");
        Files.writeString(config, String.join("\n",
                "# written by the metalcast lab",
                "data_dir: " + dataDir,
                "advertise: " + LabNetwork.BRIDGE_ADDRESS,
                "dhcp:",
                "  interfaces: [br0]",
                "  subnet: " + LabNetwork.BRIDGE_CIDR,
                "  range: " + LabNetwork.DHCP_RANGE,
                "boot:",
                "  kernel_options: '" + kernelOptions + "'",
                ""));
        return config;
    }

    /**
     * Starts the engine in the namespace and waits until its API answers; then reads the operator's API key that the
     * engine keeps in {@code dataDir} (the lab's scripts sign their calls with it, as MAAS clients do).
     */
    public static EngineProcess start(Path home, LabNetwork network, Path config, Path dataDir, Path log, Duration timeout)
            throws IOException, InterruptedException, TimeoutException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = home.resolve("engine/target/classes") + ":" + home.resolve("engine/target/lib") + "/*";
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-cp", classpath,
                "io.metalcast.engine.Main", "serve", "--config", config.toString()));
        Process p = new ProcessBuilder(network.exec(cmd)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        URI api = URI.create("http://" + network.labAddress() + ":5240/");
        EngineProcess engine = new EngineProcess(p, log, api);
        try {
            engine.awaitApi(timeout);
            engine.key = ApiKey.parse(Files.readString(dataDir.resolve(Engine.OPERATOR_KEY_FILE)).strip());
            return engine;
        } catch (IOException | InterruptedException | TimeoutException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private void awaitApi(Duration timeout) throws IOException, InterruptedException, TimeoutException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the engine exited with " + process.exitValue() + " during start-up\n" + logTail(40));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(api.resolve("MAAS/api/2.0/version/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                throw new TimeoutException("the engine's API did not answer within " + timeout.toSeconds() + " s\n" + logTail(40));
            }
            Thread.sleep(200);
        }
    }

    /** The API's base URI as the host reaches it, e.g. {@code http://10.78.0.2:5240/}. */
    public URI api() {
        return api;
    }

    /** The operator's API key, for signed MAAS API calls. */
    public ApiKey key() {
        return key;
    }

    public boolean running() {
        return process.isAlive();
    }

    /** The last lines of the engine's log, for failure messages. */
    public String logTail(int count) {
        try {
            List<String> lines = Files.readAllLines(log);
            return "--- last lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size())) + "\n---";
        } catch (IOException e) {
            return "(no engine log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        Processes.stop(process, 5000);
    }
}
