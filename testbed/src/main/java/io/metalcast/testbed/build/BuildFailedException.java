package io.metalcast.testbed.build;

import java.io.IOException;

/** A build step (one of the shipped scripts) failed; the message names the step, its exit code and its last output. */
public final class BuildFailedException extends IOException {
    private final String step;
    private final int exitCode;

    public BuildFailedException(String step, int exitCode, String output) {
        super("build step " + step + " failed with exit code " + exitCode + ":\n" + output);
        this.step = step;
        this.exitCode = exitCode;
    }

    public String step() {
        return step;
    }

    public int exitCode() {
        return exitCode;
    }
}
