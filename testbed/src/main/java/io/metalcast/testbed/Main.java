package io.metalcast.testbed;

import io.metalcast.testbed.bench.HttpBench;
import io.metalcast.testbed.bench.StreamBench;
import io.metalcast.testbed.bench.VmStreamBench;
import io.metalcast.testbed.lab.DeployFlow;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./metalcast lab} and {@code ./metalcast bench NAME}. The only place in the testbed that reads the command line,
 * system properties and the environment.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        String command = a.isEmpty() ? "" : a.get(0);
        switch (command) {
            case "lab" -> System.exit(lab(a.subList(1, a.size())));
            case "bench" -> System.exit(bench(a.subList(1, a.size())));
            default -> {
                System.err.println("usage: metalcast lab [--kvm] [--filetype ddraw|ddgz|tgz] | metalcast bench http|stream|vm");
                System.exit(2);
            }
        }
    }

    /** {@code ./metalcast bench NAME [options]}: ours and the peer's side by side, ending with one line of ratios. */
    private static int bench(List<String> args) throws Exception {
        String name = args.isEmpty() ? "" : args.get(0);
        List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
        return switch (name) {
            case "http" -> HttpBench.run(rest, cacheDir());
            case "stream" -> StreamBench.run(rest, cacheDir());
            case "vm" -> VmStreamBench.run(rest, home(), cacheDir());
            default -> {
                System.err.println("usage: metalcast bench http|stream|vm [options]");
                yield 2;
            }
        };
    }

    static Path home() {
        return Path.of(System.getProperty("metalcast.home", ".")).toAbsolutePath().normalize();
    }

    /** Where built lab artefacts are cached: $METALCAST_CACHE, else ~/.cache/metalcast. */
    public static Path cacheDir() {
        String env = System.getenv("METALCAST_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "metalcast");
    }

    private static int lab(List<String> args) throws IOException, InterruptedException {
        boolean kvm = args.contains("--kvm");
        Path home = home();
        int f = args.indexOf("--filetype");
        String filetype = f >= 0 && f + 1 < args.size() ? args.get(f + 1) : "ddraw";
        DeployFlow.Options options = new DeployFlow.Options(home, cacheDir(), home.resolve("data/lab"), kvm, Duration.ofMinutes(10),
                filetype);
        System.out.println("metalcast lab: one QEMU machine PXE-boots from metalcast and gets a custom image deployed");
        try (DeployFlow flow = new DeployFlow(options, System.out)) {
            // Ctrl-C or kill: stop the machine and the engine, delete the namespace, as the normal end does
            Thread hook = new Thread(flow::close, "metalcast-lab-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            DeployFlow.Report report = flow.run();
            System.out.println();
            System.out.printf("%s (%s) is %s.%n", report.hostname(), report.systemId(), report.status());
            System.out.println("status page: " + report.statusPageUrl());
            if (System.console() != null) {
                System.out.println("press Enter to stop the lab (engine, namespace)");
                System.in.read();
            }
            return 0;
        } catch (TimeoutException | IOException e) {
            System.err.println("metalcast lab failed: " + e.getMessage());
            return 1;
        }
    }
}
