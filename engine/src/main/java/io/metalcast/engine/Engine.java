package io.metalcast.engine;

import io.metalcast.engine.api.ApiLimits;
import io.metalcast.engine.api.ApiServer;
import io.metalcast.engine.auth.ApiKey;
import io.metalcast.engine.auth.ApiKeys;
import io.metalcast.engine.boot.EngineBootPolicy;
import io.metalcast.engine.config.EngineConfig;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.ephemeral.EphemeralImports;
import io.metalcast.engine.image.BlockMaps;
import io.metalcast.engine.image.RawViews;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.image.EphemeralCatalog;
import io.metalcast.engine.image.EphemeralChoice;
import io.metalcast.engine.image.ImageStore;
import io.metalcast.engine.machine.Machines;
import io.metalcast.engine.metrics.EngineMetrics;
import io.metalcast.engine.store.Database;
import io.metalcast.pxe.boot.BootPolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the engine from its configuration: store, image store, services, boot policy, metrics and API server. The
 * protocol servers (DHCP, TFTP, HTTP boot) are added by the launcher with {@link #bootPolicy()}, {@link #blocking()}
 * and {@link #registry()}.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final long DEADLINE_CHECK_SECONDS = 10;
    /** The operator's API key under {@code data_dir} (mode 0600), created at the first start. */
    public static final String OPERATOR_KEY_FILE = "apikey";

    private final EngineConfig config;
    private final PrometheusMeterRegistry registry;
    private final ExecutorService blocking;
    private final ScheduledExecutorService scheduler;
    private final Database db;
    private final ImageStore images;
    private final EphemeralCatalog ephemerals;
    private final BootResources resources;
    private final Machines machines;
    private final EngineMetrics metrics;
    private volatile Urls urls;
    private final EngineBootPolicy policy;
    private final ApiServer api;
    private final ApiKeys keys;
    private final ApiKey operatorKey;
    private final EphemeralImports imports;

    public Engine(EngineConfig config) {
        this(config, Clock.systemUTC(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** With an injected clock (deploy deadlines, versions) and metrics registry. */
    public Engine(EngineConfig config, Clock clock, PrometheusMeterRegistry registry) {
        this(config, clock, registry, ApiLimits.DEFAULTS);
    }

    /** With the API server's client timeouts (tests shorten them). */
    public Engine(EngineConfig config, Clock clock, PrometheusMeterRegistry registry, ApiLimits limits) {
        this.config = config;
        this.registry = registry;
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("data_dir: cannot create " + config.dataDir(), e);
        }
        this.db = Database.open(config.database().jdbcUrl(config.dataDir()));
        this.blocking = Executors.newFixedThreadPool(8, new DefaultThreadFactory("metalcast-blocking", true));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("metalcast-scheduler", true));
        this.images = new ImageStore(config.dataDir());
        this.ephemerals = new EphemeralCatalog(config.dataDir());
        BlockMaps maps = new BlockMaps(images, registry);
        this.resources = new BootResources(db, images, ephemerals, maps, new RawViews(images, maps, registry, RawViews.Limits.DEFAULTS), clock);
        int uploads = resources.recover();
        if (uploads > 0) {
            log.info("{} chunked upload(s) in progress kept; clients may finish them", uploads);
        }
        this.keys = new ApiKeys(db, clock);
        this.operatorKey = keys.operatorKey(config.dataDir().resolve(OPERATOR_KEY_FILE));
        EphemeralChoice choice = new EphemeralChoice(ephemerals, config.images().commissioningRelease());
        this.machines = new Machines(db, resources, choice, config.deploy().timeout(), clock);
        this.metrics = new EngineMetrics(registry, resources, machines);
        this.urls = Urls.of(config);
        this.policy = new EngineBootPolicy(machines, resources, choice, this::urls, config.advertise(), config.boot().ipxeDir(),
                config.boot().kernelOptions());
        this.imports = new EphemeralImports(config.images(), config.dataDir(), blocking, clock);
        this.api = new ApiServer(config.api().listen(), machines, resources, metrics, this::urls, blocking, registry, keys, imports, limits);
    }

    /**
     * Starts the API server, the deploy-deadline check and, in the background, the mapping of raw images without a
     * block map, then the raw views of compressed disk images without one.
     */
    public void start() throws InterruptedException {
        api.start();
        urls = Urls.of(config, api.localAddress().getPort(), config.http().port());
        scheduler.scheduleWithFixedDelay(() -> blocking.execute(this::expireOverdue), DEADLINE_CHECK_SECONDS, DEADLINE_CHECK_SECONDS,
                TimeUnit.SECONDS);
        blocking.execute(this::mapUnmapped);
        log.info("engine started: data_dir {}, advertise {}, boot URLs {}", config.dataDir().toAbsolutePath(),
                config.advertise().getHostAddress(), urls.boot());
    }

    private void mapUnmapped() {
        try {
            resources.mapUnmapped();
        } catch (RuntimeException e) {
            log.warn("block maps of stored raw images not made at start ({}): those images deploy streamed whole until the next start",
                    e.toString(), e);
        }
        try {
            resources.viewUnviewed();
        } catch (RuntimeException e) {
            log.warn("raw views of stored compressed disk images not made at start ({}): those images deploy compressed until the next"
                    + " start", e.toString(), e);
        }
    }

    private void expireOverdue() {
        try {
            machines.expireOverdue();
        } catch (RuntimeException e) {
            log.error("deploy deadline check failed: {}", e.toString(), e);
        }
    }

    public EngineConfig config() {
        return config;
    }

    /** The boot policy the DHCP, TFTP and HTTP boot servers ask. Blocking: call it on {@link #blocking()}. */
    public BootPolicy bootPolicy() {
        return policy;
    }

    /** The named executor for blocking work (database, disk, hashing, policy calls). */
    public ExecutorService blocking() {
        return blocking;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public Machines machines() {
        return machines;
    }

    public BootResources resources() {
        return resources;
    }

    public ApiKeys apiKeys() {
        return keys;
    }

    /** The operator's key, also in {@code data_dir/apikey}. */
    public ApiKey operatorKey() {
        return operatorKey;
    }

    /** Ephemeral imports from {@code images.source} (the API's {@code op=import}). */
    public EphemeralImports imports() {
        return imports;
    }

    public EphemeralCatalog ephemerals() {
        return ephemerals;
    }

    /** The base URLs machines are given; ports as bound once started. */
    public Urls urls() {
        return urls;
    }

    /**
     * Tells the engine the port the boot HTTP server actually bound (needed only when {@code http.listen} has port 0),
     * so that boot scripts and curtin configs name it.
     */
    public void httpBound(int port) {
        Urls u = urls;
        urls = new Urls(u.api(), u.boot().substring(0, u.boot().lastIndexOf(':') + 1) + port);
    }

    public InetSocketAddress apiAddress() {
        return api.localAddress();
    }

    @Override
    public void close() {
        // no new requests; the ones in flight finish on the blocking executor and answer through the open event loops
        api.stopAccepting();
        imports.stop();
        scheduler.shutdownNow();
        blocking.shutdown();
        try {
            if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
                blocking.shutdownNow();
            }
        } catch (InterruptedException e) {
            blocking.shutdownNow();
            Thread.currentThread().interrupt();
        }
        api.close();
        db.close();
    }
}
