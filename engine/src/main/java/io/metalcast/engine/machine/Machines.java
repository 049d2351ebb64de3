package io.metalcast.engine.machine;

import io.metalcast.curtin.event.InstallEvent;
import io.metalcast.engine.error.Rejected;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.image.DeployableImage;
import io.metalcast.engine.image.EphemeralCatalog;
import io.metalcast.engine.image.EphemeralChoice;
import io.metalcast.engine.image.EphemeralImage;
import io.metalcast.engine.store.Database;
import io.metalcast.engine.store.EventRecord;
import io.metalcast.engine.store.MachineRecord;
import io.metalcast.engine.store.MachineRepository;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.MacAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine lifecycle: enlistment on first PXE request, deploy requests, install events, deploy timeouts. Every state
 * change is recorded as a machine event. Blocking (database): call it on the blocking executor. State changes are
 * serialised within this engine.
 */
public final class Machines {
    private static final Logger log = LoggerFactory.getLogger(Machines.class);
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final Database db;
    private final MachineRepository repo = new MachineRepository();
    private final BootResources resources;
    private final EphemeralChoice ephemerals;
    private final Duration deployTimeout;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public Machines(Database db, BootResources resources, EphemeralCatalog ephemerals, Duration deployTimeout, Clock clock) {
        this(db, resources, new EphemeralChoice(ephemerals, "ubuntu/jammy"), deployTimeout, clock);
    }

    /** @param ephemerals which ephemeral deploys an image: by its Ubuntu base, else the commissioning release */
    public Machines(Database db, BootResources resources, EphemeralChoice ephemerals, Duration deployTimeout, Clock clock) {
        this.db = db;
        this.resources = resources;
        this.ephemerals = ephemerals;
        this.deployTimeout = deployTimeout;
        this.clock = clock;
    }

    public Duration deployTimeout() {
        return deployTimeout;
    }

    /** The machine with this MAC, created in New when unknown (first PXE request). */
    public Machine enlist(MacAddress mac, ClientArch arch) {
        return enlist(mac, Optional.of(arch));
    }

    /** As {@link #enlist(MacAddress, ClientArch)}; without an architecture the machine is taken for amd64. */
    public synchronized Machine enlist(MacAddress mac, Optional<ClientArch> arch) {
        return db.tx(c -> {
            Optional<MachineRecord> known = repo.byMac(c, mac.toString());
            if (known.isPresent()) {
                return view(c, known.get());
            }
            String systemId;
            do {
                systemId = randomString(LOWER, 6);
            } while (repo.bySystemId(c, systemId).isPresent());
            Instant now = clock.instant();
            String architecture = arch.map(Machines::architecture).orElse("amd64/generic");
            MachineRecord m = new MachineRecord(systemId, "node-" + systemId, mac.toString(), architecture, MachineStatus.NEW.code(),
                    "", "", "", "", "", Optional.empty(), now, now);
            repo.insert(c, m);
            repo.insertEvent(c, new EventRecord(0, systemId, now, "state", MachineStatus.NEW.displayName(),
                    "enlisted on its first PXE request from " + mac + " (" + architecture + ")", ""));
            log.info("machine {} ({}) enlisted from {}", m.hostname(), systemId, mac);
            return view(c, m);
        });
    }

    public Optional<Machine> byMac(MacAddress mac) {
        return db.tx(c -> {
            Optional<MachineRecord> m = repo.byMac(c, mac.toString());
            return m.isEmpty() ? Optional.<Machine>empty() : Optional.of(view(c, m.get()));
        });
    }

    public Optional<Machine> get(String systemId) {
        return db.tx(c -> {
            Optional<MachineRecord> m = repo.bySystemId(c, systemId);
            return m.isEmpty() ? Optional.<Machine>empty() : Optional.of(view(c, m.get()));
        });
    }

    public List<Machine> list() {
        return db.tx(c -> {
            List<Machine> out = new ArrayList<>();
            for (MachineRecord m : repo.list(c)) {
                out.add(view(c, m));
            }
            return out;
        });
    }

    /** The newest {@code limit} events of a machine, newest first. */
    public List<EventRecord> events(String systemId, int limit) {
        return db.tx(c -> repo.events(c, systemId, limit));
    }

    public Map<Integer, Long> countByStatus() {
        return db.tx(repo::countByStatus);
    }

    /** Machines Deployed with a custom image. */
    public long countDeployedCustom() {
        return db.tx(c -> repo.count(c, MachineStatus.DEPLOYED.code(), "custom"));
    }

    /**
     * Starts deploying an uploaded image to a machine.
     *
     * @param distroSeries the image name ({@code custom/sample}) or its series when {@code osystem} is given
     * @param osystem      optional os ({@code custom}); empty when {@code distroSeries} carries it
     * @throws Rejected NOT_FOUND (no such machine), CONFLICT (wrong state, no ephemeral), INVALID (no such image)
     */
    public synchronized Machine deploy(String systemId, String distroSeries, String osystem) {
        String series = distroSeries == null ? "" : distroSeries.trim();
        String os = osystem == null ? "" : osystem.trim();
        if (series.isEmpty()) {
            throw Rejected.missing("distro_series", "an uploaded image name such as custom/sample");
        }
        String name = series.contains("/") ? series : (os.isEmpty() ? "custom" : os) + "/" + series;
        return db.tx(c -> {
            MachineRecord m = repo.bySystemId(c, systemId)
                    .orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "machine: '" + systemId + "' (expected: a known system_id)"));
            MachineStatus status = status(m);
            if (!status.deployable()) {
                throw new Rejected(Rejected.Kind.CONFLICT, "machine " + systemId + " is " + status.displayName()
                        + " (expected: New, Ready, Allocated or Failed deployment to deploy)");
            }
            String arch = archOf(m);
            DeployableImage image = resources.deployable(name, arch).orElseThrow(() -> Rejected.invalid("distro_series", name,
                    "an uploaded image for " + arch + " (see boot-resources)"));
            EphemeralImage eph = ephemerals.require(image.resource().baseImage(), arch);
            Instant now = clock.instant();
            MachineRecord next = new MachineRecord(m.systemId(), m.hostname(), m.mac(), m.architecture(), MachineStatus.DEPLOYING.code(),
                    image.os(), image.series(), randomString(ALNUM, 18), randomString(ALNUM, 32), randomString(ALNUM, 18),
                    Optional.of(now.plus(deployTimeout)), m.created(), now);
            repo.update(c, next);
            repo.insertEvent(c, stateEvent(m, MachineStatus.DEPLOYING, now, "deploying " + name + " (ephemeral "
                    + eph.path() + ")"));
            log.info("machine {} ({}) deploying {}", m.hostname(), systemId, name);
            return view(c, next);
        });
    }

    /**
     * The machine whose credentials these are, when they match its current ones.
     *
     * @param signature the PLAINTEXT signature, {@code &<token_secret>} (already URL-decoded)
     */
    public Optional<Machine> authenticate(String systemId, String consumerKey, String tokenKey, String signature) {
        Optional<Machine> m = get(systemId);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        MachineRecord r = m.get().row();
        boolean ok = !r.tokenKey().isEmpty() && same(r.consumerKey(), consumerKey) && same(r.tokenKey(), tokenKey)
                && same("&" + r.tokenSecret(), signature);
        return ok ? m : Optional.empty();
    }

    /** The machine, when {@code tokenKey} is its current token and it is Deploying (the preseed may be read). */
    public Optional<Machine> preseedAccess(String systemId, String tokenKey) {
        return get(systemId).filter(m -> m.status() == MachineStatus.DEPLOYING && !m.row().tokenKey().isEmpty()
                && same(m.row().tokenKey(), tokenKey));
    }

    /** Pushes the deploy deadline of a Deploying machine out by the deploy timeout (its boot script was fetched). */
    public synchronized void touch(String systemId) {
        db.tx(c -> {
            Optional<MachineRecord> m = repo.bySystemId(c, systemId);
            if (m.isPresent() && status(m.get()) == MachineStatus.DEPLOYING) {
                repo.update(c, withDeadline(m.get(), clock.instant()));
            }
            return null;
        });
    }

    /**
     * Records a curtin event and applies the state rules: while Deploying each event pushes the deadline; a failed
     * finish of {@code cmd-install} or one of its stages fails the deployment; the {@code cmd-install} finish with
     * SUCCESS marks the machine Deployed.
     */
    public synchronized Machine report(String systemId, InstallEvent event) {
        return db.tx(c -> {
            MachineRecord m = repo.bySystemId(c, systemId)
                    .orElseThrow(() -> new Rejected(Rejected.Kind.NOT_FOUND, "machine: '" + systemId + "' (expected: a known system_id)"));
            Instant now = clock.instant();
            repo.insertEvent(c, new EventRecord(0, systemId, now, event.eventType(), event.name(),
                    event.description() == null ? "" : event.description(), event.result() == null ? "" : event.result()));
            if (status(m) != MachineStatus.DEPLOYING) {
                return view(c, m);
            }
            MachineRecord next = withDeadline(m, now);
            int depth = event.name().split("/", -1).length;
            if (event.failed() && depth <= 2) {
                next = moveTo(c, next, MachineStatus.FAILED_DEPLOYMENT, now, "installation failed: " + event.name() + " "
                        + event.result() + (event.description() == null ? "" : ": " + event.description()));
            } else if ("cmd-install".equals(event.name()) && InstallEvent.FINISH.equals(event.eventType())
                    && InstallEvent.SUCCESS.equals(event.result())) {
                next = moveTo(c, next, MachineStatus.DEPLOYED, now, "installation finished");
            } else {
                repo.update(c, next);
            }
            return view(c, next);
        });
    }

    /** Moves every Deploying machine past its deadline to Failed deployment; returns those moved. */
    public synchronized List<Machine> expireOverdue() {
        Instant now = clock.instant();
        return db.tx(c -> {
            List<Machine> out = new ArrayList<>();
            for (MachineRecord m : repo.overdue(c, MachineStatus.DEPLOYING.code(), now)) {
                MachineRecord next = moveTo(c, m, MachineStatus.FAILED_DEPLOYMENT, now, "deployment timed out: no progress for "
                        + deployTimeout.toSeconds() + " s");
                log.warn("machine {} ({}) deployment timed out", m.hostname(), m.systemId());
                out.add(view(c, next));
            }
            return out;
        });
    }

    private MachineRecord moveTo(Connection c, MachineRecord m, MachineStatus to, Instant now, String why) throws SQLException {
        Optional<Instant> deadline = to == MachineStatus.DEPLOYING ? m.deployDeadline() : Optional.empty();
        MachineRecord next = new MachineRecord(m.systemId(), m.hostname(), m.mac(), m.architecture(), to.code(), m.osystem(),
                m.distroSeries(), m.tokenKey(), m.tokenSecret(), m.consumerKey(), deadline, m.created(), now);
        repo.update(c, next);
        repo.insertEvent(c, stateEvent(m, to, now, why));
        log.info("machine {} ({}) {} -> {}: {}", m.hostname(), m.systemId(), status(m).displayName(), to.displayName(), why);
        return next;
    }

    private MachineRecord withDeadline(MachineRecord m, Instant now) {
        return new MachineRecord(m.systemId(), m.hostname(), m.mac(), m.architecture(), m.status(), m.osystem(), m.distroSeries(),
                m.tokenKey(), m.tokenSecret(), m.consumerKey(), Optional.of(now.plus(deployTimeout)), m.created(), now);
    }

    private static EventRecord stateEvent(MachineRecord from, MachineStatus to, Instant now, String why) {
        return new EventRecord(0, from.systemId(), now, "state", to.displayName(), status(from).displayName() + " -> "
                + to.displayName() + ": " + why, "");
    }

    private Machine view(Connection c, MachineRecord m) throws SQLException {
        List<EventRecord> last = repo.events(c, m.systemId(), 1);
        return new Machine(m, status(m), last.isEmpty() ? Optional.empty() : Optional.of(last.get(0)));
    }

    private static MachineStatus status(MachineRecord m) {
        return MachineStatus.ofCode(m.status()).orElse(MachineStatus.BROKEN);
    }

    private static String archOf(MachineRecord m) {
        String a = m.architecture();
        int slash = a.indexOf('/');
        return slash < 0 ? a : a.substring(0, slash);
    }

    static String architecture(ClientArch arch) {
        return switch (arch) {
            case UEFI_ARM64, UEFI_ARM64_HTTP -> "arm64/generic";
            default -> "amd64/generic";
        };
    }

    private String randomString(String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static boolean same(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
