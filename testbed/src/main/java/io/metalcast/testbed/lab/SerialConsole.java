package io.metalcast.testbed.lab;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A machine's serial console, read from the file QEMU writes it to. Each line is stamped with the time it was first
 * seen, so the lab can say how long each boot stage took. Waits end on a marker line, never on a fixed sleep.
 */
public final class SerialConsole {
    /** A console line and when it appeared. */
    public record Line(Instant seen, String text) {
    }

    private final Path file;
    private final List<Line> lines = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private long offset;

    public SerialConsole(Path file) {
        this.file = file;
    }

    /** Reads what QEMU wrote since the last call. */
    public synchronized void poll() throws IOException {
        if (!file.toFile().exists()) {
            return;
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            if (length <= offset) {
                return;
            }
            byte[] buf = new byte[(int) Math.min(length - offset, 1 << 20)];
            raf.seek(offset);
            raf.readFully(buf);
            offset += buf.length;
            Instant now = Instant.now();
            for (char c : new String(buf, StandardCharsets.ISO_8859_1).toCharArray()) {
                if (c == '\n') {
                    lines.add(new Line(now, clean(partial)));
                    partial.setLength(0);
                } else if (c != '\r') {
                    partial.append(c);
                }
            }
        }
    }

    private static String clean(CharSequence raw) {
        // Firmware and iPXE paint with ANSI escape sequences; the lab matches on text.
        return raw.toString().replaceAll("\u001B\\[[0-9;?]*[A-Za-z]", "").replaceAll("[\\x00-\\x08\\x0b-\\x1f]", "");
    }

    /**
     * Waits until a line containing {@code marker} appears after line index {@code from}, while {@code alive} holds.
     *
     * @return the index of the matching line
     */
    public int await(String marker, int from, Duration timeout, BooleanSupplier alive)
            throws IOException, InterruptedException, TimeoutException {
        Instant deadline = Instant.now().plus(timeout);
        int checked = from;
        while (true) {
            poll();
            synchronized (this) {
                for (; checked < lines.size(); checked++) {
                    if (lines.get(checked).text().contains(marker)) {
                        return checked;
                    }
                }
                if (partial.indexOf(marker) >= 0) {
                    lines.add(new Line(Instant.now(), clean(partial)));
                    partial.setLength(0);
                    return lines.size() - 1;
                }
            }
            if (!alive.getAsBoolean()) {
                throw new TimeoutException("'" + marker + "' never appeared: the machine stopped\n" + tail(40));
            }
            if (Instant.now().isAfter(deadline)) {
                throw new TimeoutException("'" + marker + "' did not appear within " + timeout.toSeconds() + " s\n" + tail(40));
            }
            Thread.sleep(100);
        }
    }

    public Path file() {
        return file;
    }

    public synchronized Line line(int index) {
        return lines.get(index);
    }

    public synchronized int size() {
        return lines.size();
    }

    /** The last lines of the console, for failure messages. */
    public synchronized String tail(int count) {
        try {
            poll();
        } catch (IOException e) {
            // show what was read before
        }
        StringBuilder sb = new StringBuilder("--- last console lines of " + file + " ---\n");
        lines.subList(Math.max(0, lines.size() - count), lines.size()).forEach(l -> sb.append(l.text()).append('\n'));
        if (partial.length() > 0) {
            sb.append(clean(partial)).append('\n');
        }
        return sb.append("---").toString();
    }
}
