package io.metalcast.curtin.installer;

import io.metalcast.curtin.config.CurtinConfig;
import io.metalcast.curtin.config.CurtinYaml;
import io.metalcast.curtin.config.Source;
import io.metalcast.curtin.config.WebhookReporter;
import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.curtin.image.BlockMap;
import io.metalcast.curtin.image.Sha256;
import io.metalcast.curtin.installer.InstallException.Kind;
import io.metalcast.curtin.reporting.AsyncEventSink;
import io.metalcast.curtin.reporting.EventSink;
import io.metalcast.curtin.reporting.WebhookClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The installer run inside the ephemeral environment: fetch the curtin config, choose the target disk, stream the source
 * onto it (a disk image of any MAAS filetype through {@link StreamPipeline}, or a root tarball into a fresh ext4 made by
 * {@link RootFilesystem}), write {@code write_files} into its root filesystem, run the image's {@code /curtin/curtin-hooks}
 * if it has one ({@link ImageHook}), and report each stage as curtin events to
 * the config's webhooks and as plain lines on stdout (the serial console).
 */
public final class Installer {
    public static final String CMD_INSTALL = "cmd-install";
    public static final String STAGE_PARTITIONING = "cmd-install/stage-partitioning";
    public static final String STAGE_EXTRACT = "cmd-install/stage-extract";
    public static final String STAGE_CURTHOOKS = "cmd-install/stage-curthooks";

    private static final String PREFIX = "metalcast-installer: ";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REPORTING_DRAIN = Duration.ofSeconds(30);

    private static final Duration HOOK_TIMEOUT = Duration.ofMinutes(30);

    private static final int MAX_RESUMES = 5;
    private static final Duration RESUME_BACKOFF = Duration.ofMillis(500);

    private final InstallerOptions options;
    private final PrintStream console;
    private final StringBuilder logText = new StringBuilder();
    /** The curtin config as fetched, for the image's hook ({@code CONFIG}). */
    private String configYaml = "";
    private final List<InstallEvent> events = new ArrayList<>();
    private final Commands commands = new Commands(Duration.ofSeconds(60));
    /** For commands whose time grows with the disk: mkfs, zeroing. */
    private final Commands longCommands = new Commands(Duration.ofMinutes(30));

    public Installer(InstallerOptions options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    public Installer(InstallerOptions options) {
        this(options, System.out);
    }

    public static void main(String[] args) {
        Arguments parsed;
        try {
            parsed = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(PREFIX + e.getMessage());
            System.err.println("usage: Installer --config-url URL [--target DEVICE_OR_FILE] [--mount-root DIR] [--sha256 jdk|nss|nss:LIBDIR]");
            System.exit(2);
            return;
        }
        if (parsed.nss() != null) {
            // Synchronously: on the one emulated CPU of a TCG lab a background load slowed the whole install down.
            long t = System.nanoTime();
            try {
                Sha256.useNss(parsed.nss().isEmpty() ? null : Path.of(parsed.nss()));
                System.out.println(PREFIX + "sha256 by " + Sha256.provider() + ", loaded in " + (System.nanoTime() - t) / 1_000_000 + " ms");
            } catch (IllegalStateException e) {
                System.out.println(PREFIX + "sha256 by the JDK: NSS asked for but unusable: " + e.getMessage());
            }
        }
        InstallResult result = new Installer(parsed.options()).run();
        System.exit(result.success() ? 0 : 1);
    }

    /**
     * The command line: the run's options, and where SHA-256 is computed for the whole process.
     *
     * @param nss null to hash with the JDK ({@code --sha256 jdk}, the default); empty for NSS found in the usual library
     *            directories ({@code --sha256 nss}); else NSS's library directory ({@code --sha256 nss:/usr/lib/x86_64-linux-gnu})
     */
    record Arguments(InstallerOptions options, String nss) {
    }

    static Arguments parse(String[] args) {
        URI config = null;
        Path target = null;
        Path mountRoot = InstallerOptions.DEFAULT_MOUNT_ROOT;
        String nss = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + ": missing value");
            }
            String v = args[++i];
            switch (a) {
                case "--config-url" -> config = URI.create(v);
                case "--target" -> target = Path.of(v);
                case "--mount-root" -> mountRoot = Path.of(v);
                case "--sha256" -> {
                    if (v.equals("jdk")) {
                        nss = null;
                    } else if (v.equals("nss")) {
                        nss = "";
                    } else if (v.startsWith("nss:/")) {
                        nss = v.substring("nss:".length());
                    } else {
                        throw new IllegalArgumentException("--sha256: '" + v + "' (expected: jdk, nss or nss:/LIBRARY/DIR)");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "' (expected: --config-url, --target, --mount-root, --sha256)");
            }
        }
        if (config == null) {
            throw new IllegalArgumentException("--config-url: missing (expected: the URL of the curtin config)");
        }
        return new Arguments(InstallerOptions.of(config, target).withMountRoot(mountRoot), nss);
    }

    /** Runs the whole install once; never throws for install failures, the result says what happened. */
    public InstallResult run() {
        long start = System.nanoTime();
        log("fetching config " + options.configUrl());
        CurtinConfig config;
        try {
            config = fetchConfig();
        } catch (InstallException e) {
            log("FAILED: " + e.getMessage());
            return new InstallResult(false, e.kind(), CMD_INSTALL, e.getMessage(), null, 0, "", elapsed(start), events);
        }
        List<EventSink> sinks = new ArrayList<>();
        for (Map.Entry<String, WebhookReporter> r : config.reporting().entrySet()) {
            sinks.add(new WebhookClient(r.getValue(), this::log));
            log("reporting to " + r.getKey() + " at " + r.getValue().endpoint());
        }
        AsyncEventSink reporting = new AsyncEventSink(sinks, this::log);
        Run run = new Run(config, reporting);
        try {
            return run.install(start);
        } finally {
            reporting.close(REPORTING_DRAIN);
        }
    }

    /** The state of one run, stage by stage. */
    private final class Run {
        private final CurtinConfig config;
        private final EventSink sink;
        private TargetDisk target;
        private StreamPipeline.Result extracted;
        private Source source;
        private SourceFormat format;
        private InstallException sourceError;
        private Path treeRoot;

        Run(CurtinConfig config, EventSink sink) {
            this.config = config;
            this.sink = sink;
        }

        InstallResult install(long start) {
            emit(CMD_INSTALL, InstallEvent.START, null, "curtin command install", "DEBUG");
            String stage = STAGE_PARTITIONING;
            RootFilesystem rootFs = null;
            try {
                emit(stage, InstallEvent.START, null, "configuring storage", "INFO");
                resolveSource();
                boolean tarball = format != null && format.layout() == SourceFormat.Layout.ROOT_TAR;
                String chosen;
                if (options.target() != null && Files.isDirectory(options.target())) {
                    if (!tarball) {
                        throw new InstallException(Kind.TARGET, "target " + options.target() + " is a directory (expected: a block device or"
                                + " regular file; a directory only for a root tarball)");
                    }
                    target = new TargetDisk(options.target(), 0, false);
                    treeRoot = options.target();
                    chosen = "target directory " + options.target() + " (root tarball unpacked into it)";
                } else {
                    target = options.target() != null ? chooser().inspect(options.target()) : chooser().choose();
                    chosen = "target " + target.path() + " (" + Units.bytes(target.size()) + ", "
                            + (target.blockDevice() ? "block device" : "regular file") + ")";
                    if (tarball) {
                        rootFs = new RootFilesystem(longCommands, options.sysRoot(), options.mountRoot(), Installer.this::log);
                        chosen += ": " + rootFs.create(target, options.attachLoop());
                        treeRoot = rootFs.root();
                    }
                }
                log(chosen);
                emit(stage, InstallEvent.FINISH, InstallEvent.SUCCESS, "configuring storage: " + chosen, "INFO");

                stage = STAGE_EXTRACT;
                emit(stage, InstallEvent.START, null, "writing install sources to disk", "INFO");
                String done = extract();
                emit(stage, InstallEvent.FINISH, InstallEvent.SUCCESS, "writing install sources to disk: " + done, "INFO");

                stage = STAGE_CURTHOOKS;
                emit(stage, InstallEvent.START, null, "configuring installed system", "INFO");
                Curthooks curthooks = new Curthooks(commands, options.sysRoot(), options.mountRoot(), Installer.this::log);
                Curthooks.RootStep hook = this::runImageHook;
                Curthooks.Outcome hooks = treeRoot != null
                        ? curthooks.writeInto(treeRoot, treeRoot.equals(target.path()) ? null : target.path(),
                                config.writeFiles(), hook)
                        : curthooks.run(target, config.writeFiles(), options.attachLoop(), hook);
                log("curthooks " + hooks.result() + ": " + hooks.description());
                emit(stage, InstallEvent.FINISH, hooks.result(), "configuring installed system: " + hooks.description(), "INFO");
                if (rootFs != null) {
                    rootFs.close();
                    rootFs = null;
                }

                String summary = "installed " + Units.bytes(extracted.written()) + " on " + target.path() + " in "
                        + Units.seconds(System.nanoTime() - start);
                log("SUCCESS: " + summary);
                emitFinal(InstallEvent.SUCCESS, "curtin command install");
                return new InstallResult(true, null, null, summary, target.path(), extracted.written(), extracted.sha256(),
                        elapsed(start), events);
            } catch (InstallException e) {
                log("FAILED in " + stage + ": " + e.getMessage());
                emit(stage, InstallEvent.FINISH, InstallEvent.FAIL, e.getMessage(), "ERROR");
                emitFinal(InstallEvent.FAIL, "curtin command install failed in " + stage + ": " + e.getMessage());
                return new InstallResult(false, e.kind(), stage, e.getMessage(), target == null ? null : target.path(),
                        extracted == null ? 0 : extracted.written(), extracted == null ? "" : extracted.sha256(), elapsed(start),
                        events);
            } catch (RuntimeException e) {
                log("FAILED in " + stage + ": " + e);
                emit(stage, InstallEvent.FINISH, InstallEvent.FAIL, "internal error: " + e, "ERROR");
                emitFinal(InstallEvent.FAIL, "curtin command install failed in " + stage + ": internal error: " + e);
                return new InstallResult(false, Kind.WRITE, stage, "internal error: " + e, target == null ? null : target.path(),
                        0, "", elapsed(start), events);
            } finally {
                if (rootFs != null) {
                    rootFs.close();
                }
            }
        }

        /**
         * Runs the image's {@code /curtin/curtin-hooks} when it has one, reported as curtin reports its curthooks command;
         * null when there is none. A failure is a FAIL event naming the exit code and the last lines of output.
         */
        private String runImageHook(Path root, Path targetDisk) throws InstallException {
            if (!ImageHook.present(root)) {
                log("no /" + ImageHook.PATH + " in the image");
                return null;
            }
            emit(ImageHook.EVENT, InstallEvent.START, null, "curtin command curthooks: running /" + ImageHook.PATH, "INFO");
            try {
                String done = new ImageHook(configYaml, HOOK_TIMEOUT, Installer.this::log).run(root, targetDisk);
                log(done);
                emit(ImageHook.EVENT, InstallEvent.FINISH, InstallEvent.SUCCESS, "curtin command curthooks: " + done, "INFO");
                return "ran " + done;
            } catch (InstallException e) {
                emit(ImageHook.EVENT, InstallEvent.FINISH, InstallEvent.FAIL, "curtin command curthooks: " + e.getMessage(), "ERROR");
                throw e;
            }
        }

        /** Finds the one source and its format; a problem is kept and reported by the extract stage, where curtin reports it. */
        private void resolveSource() {
            try {
                source = installSource(config);
                format = SourceFormat.forType(source.type()).orElseThrow(() -> new InstallException(Kind.CONFIG,
                        "source type " + source.type() + " not supported (expected: " + SourceFormat.supported() + ")"));
            } catch (InstallException e) {
                sourceError = e;
            }
        }

        private String extract() throws InstallException {
            if (sourceError != null) {
                throw sourceError;
            }
            log("extract " + source.type() + " " + source.uri() + " -> " + (treeRoot != null ? treeRoot : target.path())
                    + (source.size() >= 0 ? " (" + Units.bytes(source.size()) + ")" : ""));
            StreamPipeline pipeline = new StreamPipeline(options.progressInterval(), CONNECT_TIMEOUT, READ_TIMEOUT, MAX_RESUMES,
                    RESUME_BACKOFF, new TargetZeroing(longCommands, options.sysRoot()));
            StreamPipeline.Progress progress = (written, fetched, total, nanos) -> {
                String text = (treeRoot != null ? "unpacked " : "wrote ") + Units.bytes(written) + " at " + Units.rate(written, nanos)
                        + ", fetched " + Units.bytes(fetched) + (total >= 0 ? " of " + Units.bytes(total) : "") + " at "
                        + Units.rate(fetched, nanos) + (total > 0 && fetched > 0 ? ", ETA "
                        + Units.seconds((long) (nanos * ((double) (total - fetched) / fetched))) : "");
                log("extract " + text);
                emit(STAGE_EXTRACT, InstallEvent.PROGRESS, null, text, "INFO");
            };
            if (treeRoot != null) {
                TarExtractor tar = new TarExtractor(treeRoot, Commands.runningAsRoot(), commands, Installer.this::log);
                extracted = pipeline.extractTarball(source, format, tar, progress);
                log("extract: " + source.type() + " (" + extracted.compression().name().toLowerCase(java.util.Locale.ROOT) + "), "
                        + tar.entries() + " entries" + resumes());
            } else {
                BlockMap map = blockMap(pipeline);
                if (map != null) {
                    log("extract: by block map " + source.bmap() + ": " + Units.bytes(map.mappedBytes()) + " of "
                            + Units.bytes(map.imageSize()) + " hold data, in " + map.ranges().size() + " range(s)");
                    extracted = pipeline.writeMapped(source, map, target, progress);
                    log("extract: " + source.type() + " by block map, fetched " + Units.bytes(extracted.sourceBytes()) + ", "
                            + Units.bytes(extracted.zeroSkipped()) + " of zero blocks not fetched nor written, " + extracted.writes()
                            + " writes" + resumes() + "; " + extracted.zeroing() + direct());
                } else {
                    extracted = pipeline.writeDisk(source, format, target, progress);
                    log("extract: " + source.type() + " (" + extracted.compression().name().toLowerCase(java.util.Locale.ROOT) + "), "
                            + Units.bytes(extracted.zeroSkipped()) + " of zero blocks skipped, " + extracted.writes() + " writes"
                            + resumes() + "; " + extracted.zeroing() + direct());
                }
            }
            String done = Units.bytes(extracted.written()) + " in " + Units.seconds(extracted.nanos()) + " ("
                    + Units.rate(extracted.written(), extracted.nanos()) + ") sha256 "
                    + (extracted.mappedRanges() >= 0 ? "ok for each of the " + extracted.mappedRanges() + " mapped range(s)"
                    : extracted.sha256Checked() ? "ok" : extracted.sha256() + " (not checked: none expected)");
            log("extract " + done);
            return done;
        }

        /**
         * The block map of a raw image source, when the config names one; null to stream the whole image (no map, not a
         * raw image, or the map cannot be downloaded). A map that does not match the config's sha256 fails the install.
         */
        private BlockMap blockMap(StreamPipeline pipeline) throws InstallException {
            if (source.bmap().isEmpty()) {
                return null;
            }
            if (format.layout() != SourceFormat.Layout.DISK || format.compressed()) {
                log("extract: ignoring bmap " + source.bmap() + ": only a raw disk image is written by block map, this is " + source.type());
                return null;
            }
            try {
                return pipeline.blockMap(source);
            } catch (InstallException e) {
                if (e.kind() != Kind.DOWNLOAD) {
                    throw e;
                }
                log("extract: block map unavailable (" + e.getMessage() + "): streaming the whole image");
                return null;
            }
        }

        private String direct() {
            return extracted.direct() ? "; aligned writes bypass the page cache (O_DIRECT)" : "";
        }

        private String resumes() {
            return extracted.resumes() == 0 ? "" : ", " + extracted.resumes() + " resume(s) after dropped connections";
        }

        private DiskChooser chooser() {
            return new DiskChooser(options.sysRoot(), commands);
        }

        private void emitFinal(String result, String description) {
            List<InstallEvent.EventFile> files = config.installLogFile().isEmpty() ? List.of()
                    : List.of(new InstallEvent.EventFile(config.installLogFile(), "base64",
                            Base64.getEncoder().encodeToString(logSnapshot().getBytes(StandardCharsets.UTF_8))));
            record(new InstallEvent(CMD_INSTALL, InstallEvent.FINISH, result, description, "curtin", now(), "DEBUG", files));
        }

        private void emit(String name, String type, String result, String description, String level) {
            record(new InstallEvent(name, type, result, description, "curtin", now(), level, List.of()));
        }

        private void record(InstallEvent event) {
            synchronized (events) {
                events.add(event);
            }
            sink.report(event);
        }
    }

    /** The one source of the config; curtin allows one dd source, and we deploy exactly one source of any type. */
    static Source installSource(CurtinConfig config) throws InstallException {
        if (config.sources().size() != 1) {
            throw new InstallException(Kind.CONFIG, "sources: " + config.sources().size() + " sources (expected: exactly 1)");
        }
        return config.sources().values().iterator().next();
    }

    private CurtinConfig fetchConfig() throws InstallException {
        try {
            URLConnection c = options.configUrl().toURL().openConnection();
            c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) READ_TIMEOUT.toMillis());
            if (c instanceof HttpURLConnection http) {
                http.setRequestProperty("User-Agent", "metalcast-installer");
                int status = http.getResponseCode();
                if (status != 200) {
                    http.disconnect();
                    throw new InstallException(Kind.CONFIG, "GET " + options.configUrl() + ": HTTP " + status + " (expected: 200)");
                }
            }
            try (InputStream in = c.getInputStream()) {
                configYaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return CurtinYaml.parse(configYaml);
            }
        } catch (IOException e) {
            throw new InstallException(Kind.CONFIG, "GET " + options.configUrl() + ": " + e, e);
        } catch (RuntimeException e) {
            throw new InstallException(Kind.CONFIG, "config " + options.configUrl() + ": " + e.getMessage(), e);
        }
    }

    private void log(String line) {
        synchronized (logText) {
            logText.append(line).append('\n');
        }
        console.println(PREFIX + line);
        console.flush();
    }

    private String logSnapshot() {
        synchronized (logText) {
            return logText.toString();
        }
    }

    private static double now() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
