package io.metalcast.pxe.dhcp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Test plumbing: run commands, and a {@link NetnsProbe} process inside a namespace. */
final class Netns {
    private Netns() {
    }

    static boolean usable() {
        return "root".equals(System.getProperty("user.name")) && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")));
    }

    /** Runs a command, returns its combined output; throws when it fails. */
    static String run(String... cmd) {
        Result r = tryRun(cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " -> exit " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    record Result(int exit, String output) {
    }

    static Result tryRun(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + " (timeout)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    /** A {@link NetnsProbe} running in a namespace. */
    static final class Probe implements AutoCloseable {
        private final Process process;
        private final Writer stdin;
        private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

        Probe(String namespace, int listenPort) throws IOException, InterruptedException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), NetnsProbe.class.getName(), Integer.toString(listenPort)));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            String first = out.readLine();
            if (!"ready".equals(first)) {
                process.destroyForcibly();
                throw new IllegalStateException("probe in " + namespace + " did not start: " + first);
            }
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.startsWith("recv ")) {
                            received.add(HexFormat.of().parseHex(line.substring(5)));
                        } else {
                            System.err.println("probe: " + line);
                        }
                    }
                } catch (IOException ignored) {
                    // process ended
                }
            }, "probe-" + namespace);
            reader.setDaemon(true);
            reader.start();
        }

        synchronized void send(int port, byte[] packet) throws IOException {
            stdin.write("send " + port + " " + HexFormat.of().formatHex(packet) + "\n");
            stdin.flush();
        }

        /** The next datagram matching the filter within the timeout; others are discarded. */
        Optional<byte[]> receive(Predicate<byte[]> filter, long timeoutMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                byte[] b = received.poll(left, TimeUnit.NANOSECONDS);
                if (b == null) {
                    return Optional.empty();
                }
                if (filter.test(b)) {
                    return Optional.of(b);
                }
            }
        }

        @Override
        public void close() {
            try {
                stdin.close();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
