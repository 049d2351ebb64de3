package io.metalcast.testbed.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs host commands for the lab. The one place the testbed starts short-lived processes. */
public final class Processes {
    private Processes() {
    }

    /** A command that exited non-zero, with what it printed. */
    public static final class CommandFailed extends IOException {
        private final int exitCode;

        CommandFailed(List<String> command, int exitCode, String output) {
            super(String.join(" ", command) + ": exit " + exitCode + (output.isBlank() ? "" : "\n" + output.strip()));
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    /** Runs a command to completion (at most 10 minutes) and returns its combined output; throws when it fails. */
    public static String run(String... command) throws IOException, InterruptedException {
        return run(List.of(command));
    }

    public static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new CommandFailed(command, -1, out + "\n(timed out)");
        }
        if (p.exitValue() != 0) {
            throw new CommandFailed(command, p.exitValue(), out);
        }
        return out;
    }

    /** Runs a command and ignores its failure: for clean-up steps that may find nothing to clean. */
    public static void runQuietly(String... command) {
        try {
            run(command);
        } catch (IOException e) {
            // nothing to clean up, or already gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends a process and its descendants, politely first, by PID. */
    public static void stop(Process process, long graceMillis) {
        if (process == null) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                children.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
