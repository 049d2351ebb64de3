package io.metalcast.testbed.lab;

import com.fasterxml.jackson.databind.JsonNode;
import io.metalcast.testbed.build.Ephemeral;
import io.metalcast.testbed.build.EphemeralBuilder;
import io.metalcast.testbed.build.SampleImage;
import io.metalcast.testbed.build.SampleImageBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The walking skeleton end to end: build (or take from the cache) the ephemeral environment and the sample image, start
 * the engine in a namespace of its own, power on one machine, let it PXE-boot and enlist, upload the image through the
 * MAAS API, deploy it, and watch the machine's console until, rebooted from its own disk, it prints its marker.
 * One code path for {@code ./metalcast lab} and the end-to-end test.
 */
public final class DeployFlow implements AutoCloseable {
    /**
     * Where the flow runs, how long it may wait at each stage, and the MAAS filetype the sample image is uploaded as
     * ({@code ddraw}; {@code ddgz}: the same disk gzip-compressed, as MAAS users most often send it; {@code tgz}: the same
     * root as a root tarball whose {@code /curtin/curtin-hooks} installs the bootloader).
     */
    public record Options(Path home, Path cacheDir, Path workDir, boolean kvm, Duration stageTimeout, String filetype) {
        public Options {
            if (!List.of("ddraw", "ddgz", "tgz").contains(filetype)) {
                throw new IllegalArgumentException("filetype: '" + filetype + "' (expected: ddraw, ddgz or tgz)");
            }
        }
    }

    /** One timed step of the flow. */
    public record Step(String name, Duration took) {
    }

    /** What the flow saw: its steps, the console stages, the installer's console lines, the deployed machine. */
    public record Report(List<Step> steps, Map<String, Duration> consoleStages, List<String> installerLines, String systemId,
                         String hostname, String status, String statusPageUrl) {
    }

    static final String MAC = "52:54:00:4d:43:01";
    static final String IMAGE_NAME = "custom/sample";

    private final Options options;
    private final PrintStream out;
    private final List<Step> steps = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private LabNetwork network;
    private EngineProcess engine;
    private QemuMachine machine;

    public DeployFlow(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Report run() throws IOException, InterruptedException, TimeoutException {
        // Each run starts from an empty engine and a blank machine: a second lab run must not meet the first one's
        // machine (already Deployed) or images. Built artefacts live in the cache, not here.
        Processes.run("rm", "-rf", options.workDir().toString());
        Files.createDirectories(options.workDir());
        Path installerDir = step("collect the installer", () -> collectInstaller(options.home(), options.workDir().resolve("installer")));
        Ephemeral ephemeral = step("ephemeral environment (kernel, initramfs, squashfs)",
                () -> EphemeralBuilder.build(options.cacheDir(), installerDir));
        boolean tarball = options.filetype().equals("tgz");
        SampleImage image = step("sample custom image (" + (tarball ? "root tarball" : "raw disk") + ")",
                () -> tarball ? SampleImageBuilder.buildRootTarball(options.cacheDir(), ephemeral)
                        : SampleImageBuilder.build(options.cacheDir(), ephemeral));

        network = step("network namespace, bridge, tap", () -> LabNetwork.create(ProcessHandle.current().pid()));
        String tap = network.addTap();
        Path dataDir = options.workDir().resolve("data");
        // The ephemeral stands in for the image's base release (os/series), as MAAS boots the same release.
        String[] base = image.release().split("/", 2);
        publishEphemeral(ephemeral, dataDir.resolve("ephemeral/" + base[0] + "/amd64/" + base[1]));
        Path config = EngineProcess.writeConfig(options.workDir(), dataDir, "console=ttyS0,115200n8");
        engine = step("engine up (DHCP, TFTP, HTTP, API)", () -> EngineProcess.start(options.home(), network, config, dataDir,
                options.workDir().resolve("engine.log"), Duration.ofSeconds(120)));
        String statusPage = engine.api().toString();
        out.println("  status page: " + statusPage);
        MaasClient maas = new MaasClient(engine.api(), engine.key());

        // ddraw and tgz go up as built; ddgz is the raw disk compressed.
        Path upload = options.filetype().equals("ddgz") ? gzip(image.rawImage(), options.workDir().resolve("sample.raw.gz"))
                : image.rawImage();
        step("upload " + IMAGE_NAME + " (" + options.filetype() + ", " + Files.size(upload) / (1024 * 1024) + " MiB)", () -> {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("name", IMAGE_NAME);
            fields.put("architecture", "amd64/generic");
            fields.put("title", "metalcast sample");
            fields.put("base_image", image.release());
            fields.put("filetype", options.filetype());
            return maas.uploadBootResource(fields, upload);
        });

        machine = QemuMachine.create("lab-vm-1", MAC, options.workDir().resolve("vm-1"), 2L << 30, options.kvm());
        out.println("  machine lab-vm-1 " + MAC + " under " + (options.kvm() ? "KVM" : "TCG (software emulation)")
                + ", console: " + machine.console().file());
        Instant powerOn = Instant.now();
        machine.start(network, tap);
        JsonNode enlisted = step("PXE boot and enlist (state New)", () -> awaitMachine(maas));
        Instant enlistedAt = Instant.now();
        String systemId = enlisted.path("system_id").asText();
        String hostname = enlisted.path("hostname").asText();
        out.println("  enlisted " + hostname + " (" + systemId + ")");
        Instant deployAt = Instant.now();
        step("deploy " + IMAGE_NAME, () -> maas.deploy(systemId, IMAGE_NAME));

        SerialConsole console = machine.console();
        int up = step("boot the ephemeral environment", () -> awaitConsole("METALCAST-EPHEMERAL-UP", 0));
        int done = step("install (stream the image, write files)", () -> awaitConsole("METALCAST-INSTALL-DONE", up));
        int marker = step("reboot from disk to the marker", () -> awaitConsole("METALCAST-DEPLOYED " + hostname, done));
        String status = step("API shows Deployed", () -> awaitStatus(maas, "Deployed"));

        Map<String, Duration> stages = consoleStages(console, powerOn, enlistedAt, deployAt, up, done, marker);
        stages.forEach((k, v) -> out.printf("  %-66s %6.1f s%n", k, v.toMillis() / 1000.0));
        List<String> installer = new ArrayList<>();
        for (int i = up; i <= done; i++) {
            if (console.line(i).text().startsWith("metalcast-installer:")) {
                installer.add(console.line(i).text());
            }
        }
        return new Report(List.copyOf(steps), stages, List.copyOf(installer), systemId, hostname, status, statusPage);
    }

    /**
     * Durations between what the engine and the console saw, for the issue note: where a deployment spends its time.
     * iPXE prints to the screen only, so its part is measured from the deploy request to the kernel's first line.
     */
    private static Map<String, Duration> consoleStages(SerialConsole console, Instant powerOn, Instant enlisted, Instant deployed,
                                                       int up, int done, int marker) {
        Map<String, Duration> stages = new LinkedHashMap<>();
        stages.put("power on to DHCP enlist (firmware, iPXE, DHCP)", Duration.between(powerOn, enlisted));
        Instant kernel = null;
        Instant streamed = null;
        for (int i = 0; i < console.size(); i++) {
            SerialConsole.Line l = console.line(i);
            if (i < up && kernel == null && l.text().contains("Linux version")) {
                kernel = l.seen();
            }
            if (i > up && i < done && streamed == null && l.text().contains("sha256 ok")) {
                streamed = l.seen();
            }
        }
        Instant upAt = console.line(up).seen();
        Instant doneAt = console.line(done).seen();
        if (kernel != null) {
            stages.put("deploy request to kernel (script poll, kernel+initrd over HTTP)", Duration.between(deployed, kernel));
            stages.put("kernel to installer (initramfs, squashfs over HTTP)", Duration.between(kernel, upAt));
        }
        if (streamed != null) {
            stages.put("installer start to image streamed (sha256 ok)", Duration.between(upAt, streamed));
            stages.put("image streamed to install done (curthooks, events)", Duration.between(streamed, doneAt));
        }
        stages.put("reboot to marker (firmware, iPXE exit, disk boot)", Duration.between(doneAt, console.line(marker).seen()));
        return stages;
    }

    /** The disk compressed as a MAAS user would: {@code gzip -c}. */
    private static Path gzip(Path raw, Path to) throws IOException, InterruptedException {
        Processes.run("sh", "-c", "gzip -c < '" + raw + "' > '" + to + "'");
        return to;
    }

    /** Copies the installer's jars (the curtin module's jar and its libraries, as built) into {@code dir}. */
    public static Path collectInstaller(Path home, Path dir) throws IOException {
        Path target = home.resolve("curtin/target");
        Files.createDirectories(dir);
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target, "metalcast-curtin-*.jar")) {
            s.forEach(jars::add);
        } catch (IOException e) {
            throw new IOException("no installer jar under " + target + ": build with `mvn package` first", e);
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target.resolve("lib"), "*.jar")) {
            s.forEach(jars::add);
        }
        if (jars.isEmpty()) {
            throw new IOException("no installer jar under " + target + ": build with `mvn package` first");
        }
        for (Path jar : jars) {
            Files.copy(jar, dir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /** Puts the ephemeral files where the engine's catalog reads them: hard links when possible, copies otherwise. */
    private static void publishEphemeral(Ephemeral e, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Path> files = Map.of("boot-kernel", e.kernel(), "boot-initrd", e.initrd(), "squashfs", e.squashfs());
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Path to = dir.resolve(f.getKey());
            Files.deleteIfExists(to);
            try {
                Files.createLink(to, f.getValue());
            } catch (IOException | UnsupportedOperationException crossDevice) {
                Files.copy(f.getValue(), to);
            }
        }
    }

    private JsonNode awaitMachine(MaasClient maas) throws IOException, InterruptedException, TimeoutException {
        Instant deadline = Instant.now().plus(options.stageTimeout());
        while (true) {
            Optional<JsonNode> m = maas.machineByMac(MAC);
            if (m.isPresent()) {
                return m.get();
            }
            checkAlive();
            if (Instant.now().isAfter(deadline)) {
                throw new TimeoutException("the machine did not enlist within " + options.stageTimeout().toSeconds() + " s\n"
                        + machine.console().tail(30) + "\n" + engine.logTail(30));
            }
            Thread.sleep(250);
        }
    }

    private String awaitStatus(MaasClient maas, String wanted) throws IOException, InterruptedException, TimeoutException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            last = maas.machineByMac(MAC).map(m -> m.path("status_name").asText()).orElse("(gone)");
            if (wanted.equals(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new TimeoutException("the API shows '" + last + "', expected '" + wanted + "'\n" + engine.logTail(30));
    }

    private int awaitConsole(String marker, int from) throws IOException, InterruptedException, TimeoutException {
        try {
            return machine.console().await(marker, from, options.stageTimeout(), () -> machine.running() && engine.running());
        } catch (TimeoutException e) {
            TimeoutException t = new TimeoutException(e.getMessage() + "\n" + engine.logTail(30));
            t.initCause(e);
            throw t;
        }
    }

    private void checkAlive() throws IOException {
        if (!engine.running()) {
            throw new IOException("the engine stopped\n" + engine.logTail(40));
        }
        if (!machine.running()) {
            throw new IOException("the machine stopped\n" + machine.console().tail(40));
        }
    }

    @FunctionalInterface
    private interface Work<T> {
        T call() throws IOException, InterruptedException, TimeoutException;
    }

    private <T> T step(String name, Work<T> work) throws IOException, InterruptedException, TimeoutException {
        out.printf("- %s ...%n", name);
        Instant start = Instant.now();
        T result = work.call();
        Duration took = Duration.between(start, Instant.now());
        steps.add(new Step(name, took));
        out.printf("  done in %.1f s%n", took.toMillis() / 1000.0);
        return result;
    }

    /** Stops the machine and the engine and removes the namespace, whatever happened. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // closed already (the launcher's shutdown hook and try-with-resources may both get here)
        }
        if (machine != null) {
            machine.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (network != null) {
            network.close();
        }
    }
}
