package io.metalcast.testbed.bench;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.pxe.boot.MacAddress;
import io.metalcast.testbed.build.Ephemeral;
import io.metalcast.testbed.build.EphemeralBuilder;
import io.metalcast.testbed.lab.DeployFlow;
import io.metalcast.testbed.lab.LabNetwork;
import io.metalcast.testbed.lab.Processes;
import io.metalcast.testbed.lab.QemuMachine;
import io.metalcast.testbed.lab.SerialConsole;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./metalcast bench vm}: inside one lab machine (TCG), in one boot of the ephemeral environment, the same raw disk
 * image written to the machine's disk by curtin's own pipeline ({@code wget -O - URL | dd bs=4M of=/dev/vda}), by
 * metalcast's installer with the image's block map (only mapped ranges fetched, each sha256-verified) and by the installer
 * streaming the whole image (sha256 over all of it, zero-block skipping), each end to end (JVM start, curthooks), the order
 * rotating each round, all fetching from metalcast's HTTP boot server. Ends with
 * {@code ratio_vm_raw=<curtin seconds / ours by map> ratio_vm_raw_whole_stream=<curtin seconds / ours streaming>}.
 */
public final class VmStreamBench {
    private static final long MIB = 1L << 20;
    private static final String MAC = "52:54:00:4d:43:0b";
    private static final Pattern RESULT = Pattern.compile("METALCAST-BENCH round=(\\d+) who=(\\w+) seconds=([0-9.]+) rc=(\\d+)");

    private VmStreamBench() {
    }

    public static int run(List<String> args, Path home, Path cache) throws Exception {
        long size = 512 * MIB;
        int rounds = 3;
        int cpus = 1;
        for (int i = 0; i < args.size(); i++) {
            String v = i + 1 < args.size() ? args.get(i + 1) : null;
            switch (args.get(i)) {
                case "--size-mib" -> { size = Long.parseLong(v) * MIB; i++; }
                case "--rounds" -> { rounds = Integer.parseInt(v); i++; }
                case "--cpus" -> { cpus = Integer.parseInt(v); i++; }
                default -> {
                    System.err.println("bench vm: unknown option '" + args.get(i) + "' (expected: --size-mib N, --rounds N, --cpus N)");
                    return 2;
                }
            }
        }
        Path work = cache.resolve("vm-bench-work");
        Processes.run("rm", "-rf", work.toString());
        Files.createDirectories(work);

        Ephemeral ephemeral = EphemeralBuilder.build(cache, DeployFlow.collectInstaller(home, work.resolve("installer")));
        Path images = cache.resolve("stream-bench-" + size / MIB + "m");
        Properties props = StreamBench.images(images, size);
        Path www = Files.createDirectories(work.resolve("www"));
        link(ephemeral.squashfs(), www.resolve("squashfs"));
        link(images.resolve("disk.raw"), www.resolve("disk.raw"));
        BlockMap blockMap = BlockMap.scan(images.resolve("disk.raw"), BlockMap.DEFAULT_BLOCK_SIZE);
        long mapped = blockMap.mappedBytes();
        Files.write(www.resolve("disk.raw.bmap"), blockMap.render());
        String mapSha256 = Sha256.ofFile(www.resolve("disk.raw.bmap"));

        Process server = null;
        List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread hook = new Thread(() -> {
            // interrupted (Ctrl-C, kill): the machine, then the namespace; the normal path closes them below
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception ignored) {
                    // best effort while exiting
                }
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try (LabNetwork network = LabNetwork.create(ProcessHandle.current().pid() + 2);
             QemuMachine machine = QemuMachine.create("bench-vm", MAC, work.resolve("vm"), size + 256 * MIB, false).withCpus(cpus)) {
            open.add(network);
            open.add(machine);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            server = new ProcessBuilder(network.exec(List.of(java, "-cp", System.getProperty("java.class.path"),
                    BenchHttpServer.class.getName(), www.toString(), LabNetwork.BRIDGE_ADDRESS)))
                    .redirectError(work.resolve("server.log").toFile()).start();
            Process started = server;
            open.add(() -> Processes.stop(started, 2000));
            String base = "http://" + LabNetwork.BRIDGE_ADDRESS + ":" + port(server);
            Source whole = new Source("dd-raw", base + "/disk.raw", props.getProperty("disk.raw.sha256"), size);
            Files.writeString(www.resolve("bench-stream.yaml"), CurtinYaml.render(new CurtinConfig(Map.of("image", whole), Map.of(), Map.of(), "")));
            Files.writeString(www.resolve("bench.yaml"), CurtinYaml.render(new CurtinConfig(
                    Map.of("image", whole.withBlockMap(base + "/disk.raw.bmap", mapSha256)), Map.of(), Map.of(), "")));
            String cmdline = "root=squash:" + base + "/squashfs ip=10.77.0.50::" + LabNetwork.BRIDGE_ADDRESS + ":255.255.255.0:benchvm::off"
                    + " BOOTIF=01-" + MacAddress.parse(MAC).hyphenated() + " overlayroot=tmpfs console=ttyS0,115200n8"
                    + " metalcast.bench=" + base + " metalcast.bench.rounds=" + rounds;
            System.out.printf(Locale.ROOT, "bench vm: %d MiB raw image, %d round(s), %d vCPU(s), TCG; console %s%n", size / MIB, rounds,
                    cpus, machine.console().file());
            machine.startKernel(network, network.addTap(), ephemeral.kernel(), ephemeral.initrd(), cmdline);
            SerialConsole console = machine.console();
            int done = console.await("METALCAST-BENCH-DONE", 0, Duration.ofMinutes(40), machine::running);

            Map<String, List<Double>> times = new LinkedHashMap<>();
            for (String who : List.of("curtin", "ours", "stream")) {
                times.put(who, new ArrayList<>());
            }
            for (int i = 0; i <= done; i++) {
                Matcher m = RESULT.matcher(console.line(i).text());
                if (m.find()) {
                    System.out.println("  " + m.group());
                    if (!m.group(4).equals("0")) {
                        throw new IOException(m.group(2) + " failed in round " + m.group(1) + "\n" + console.tail(40));
                    }
                    times.get(m.group(2)).add(Double.parseDouble(m.group(3)));
                }
            }
            double curtin = StreamBench.median(times.get("curtin"));
            double ours = StreamBench.median(times.get("ours"));
            double stream = StreamBench.median(times.get("stream"));
            System.out.printf(Locale.ROOT, "%-44s %10s %12s%n", "writer (in the VM, TCG)", "median s", "MB/s");
            System.out.printf(Locale.ROOT, "%-44s %10.2f %12.1f%n", "curtin: wget | dd bs=4M", curtin, size / 1e6 / curtin);
            System.out.printf(Locale.ROOT, "%-44s %10.2f %12.1f%n", "metalcast installer, block map (" + mib(mapped) + " MiB mapped)",
                    ours, size / 1e6 / ours);
            System.out.printf(Locale.ROOT, "%-44s %10.2f %12.1f%n", "metalcast installer, whole stream", stream, size / 1e6 / stream);
            System.out.printf(Locale.ROOT, "ratio_vm_raw=%.2f ratio_vm_raw_whole_stream=%.2f%n", curtin / ours, curtin / stream);
            return 0;
        } finally {
            open.clear();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException exiting) {
                // the JVM is already shutting down: the hook runs
            }
            Processes.stop(server, 2000);
            Processes.run("rm", "-rf", work.resolve("www").toString(), work.resolve("installer").toString());
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) MIB);
    }

    private static int port(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("port=")) {
            throw new IOException("bench HTTP server did not start: " + line);
        }
        return Integer.parseInt(line.substring("port=".length()).strip());
    }

    private static void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException crossDevice) {
            Files.copy(from, to);
        }
    }
}
