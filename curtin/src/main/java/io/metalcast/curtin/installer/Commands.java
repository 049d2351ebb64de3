package io.metalcast.curtin.installer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the few system tools the installer needs (mount, umount, losetup, blockdev, sync); busybox has them all. */
final class Commands {
    /** A command that could not start, timed out, or exited non-zero; {@link #output()} holds what it printed. */
    static final class CommandException extends IOException {
        private static final long serialVersionUID = 1L;
        static final int NOT_STARTED = -2;
        private final int exitCode;
        private final String output;

        CommandException(String message, int exitCode, String output) {
            super(message);
            this.exitCode = exitCode;
            this.output = output;
        }

        int exitCode() {
            return exitCode;
        }

        /** True when the program could not be started at all (not installed). */
        boolean notStarted() {
            return exitCode == NOT_STARTED;
        }

        String output() {
            return output;
        }
    }

    private final Duration timeout;

    Commands(Duration timeout) {
        this.timeout = timeout;
    }

    /** Runs {@code command} with stderr merged into stdout; returns the output, trimmed. */
    String run(List<String> command) throws CommandException {
        return run(command, null);
    }

    /** Runs {@code command} with {@code input} (null: none) on its stdin and stderr merged into stdout; returns the output, trimmed. */
    String run(List<String> command, String input) throws CommandException {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            if (input == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            p = pb.start();
            if (input != null) {
                try (var stdin = p.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new CommandException(String.join(" ", command) + ": cannot run (" + e.getMessage() + ")", CommandException.NOT_STARTED, "");
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CommandException(String.join(" ", command) + ": no exit after " + timeout.toSeconds() + " s", -1, "");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CommandException(String.join(" ", command) + ": interrupted", -1, "");
        }
        String output = out.join().trim();
        if (p.exitValue() != 0) {
            throw new CommandException(String.join(" ", command) + ": exit " + p.exitValue() + (output.isEmpty() ? "" : ": " + output),
                    p.exitValue(), output);
        }
        return output;
    }

    /** True when this process runs with effective uid 0 ({@code /proc/self} belongs to the effective uid). */
    static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
