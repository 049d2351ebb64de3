package io.metalcast.curtin.installer;

import io.metalcast.curtin.event.InstallEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The outcome of one installer run.
 *
 * @param success      true when every stage succeeded
 * @param failure      the kind of failure; null on success
 * @param failedStage  event name of the stage that failed ({@code cmd-install/stage-extract}...); null on success
 * @param message      what went wrong, or a one-line summary on success
 * @param target       the device or file written; null when none was chosen
 * @param bytesWritten image bytes written to the target
 * @param sha256       sha256 of the downloaded source bytes; empty when the download did not finish
 * @param elapsed      wall time of the whole run
 * @param events       every event reported, in order
 */
public record InstallResult(boolean success, InstallException.Kind failure, String failedStage, String message, Path target,
                            long bytesWritten, String sha256, Duration elapsed, List<InstallEvent> events) {
    public InstallResult {
        events = List.copyOf(events);
        if (success != (failure == null)) {
            throw new IllegalArgumentException("failure: " + failure + " with success " + success + " (expected: null exactly on success)");
        }
    }
}
