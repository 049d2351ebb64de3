package io.metalcast.pxe.dhcp;

import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.DhcpBoot;
import org.dhcp4java.DHCPPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.util.Objects;
import java.util.Optional;

/**
 * The server's decisions for one validated request: which address, whether to boot it, which reply. May block (lease
 * pool, boot policy), so it runs on the blocking executor, never on the event loop.
 */
public final class DhcpResponder {
    private static final Logger log = LoggerFactory.getLogger(DhcpResponder.class);

    /** The outcome for one request: a result to count and, unless silent, a reply. */
    public record Outcome(DhcpResult result, Optional<DHCPPacket> reply) {
        public Outcome {
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(reply, "reply");
        }

        static Outcome silent(DhcpResult result) {
            return new Outcome(result, Optional.empty());
        }

        static Outcome send(DhcpResult result, DHCPPacket reply) {
            return new Outcome(result, Optional.of(reply));
        }
    }

    /** For a boot client: answer (with or without boot fields), or stay silent. */
    private record BootAnswer(boolean answer, Optional<DhcpBoot> boot, DhcpResult silentResult) {
        static final BootAnswer PLAIN = new BootAnswer(true, Optional.empty(), DhcpResult.IGNORED);
        static final BootAnswer SILENT = new BootAnswer(false, Optional.empty(), DhcpResult.IGNORED);
        static final BootAnswer FAILED = new BootAnswer(false, Optional.empty(), DhcpResult.DROPPED);
    }

    private final DhcpConfig config;
    private final BootPolicy policy;
    private final LeasePool pool;
    private final RateLimitedLog exhaustedLog = new RateLimitedLog(log, 60_000);
    private final RateLimitedLog policyLog = new RateLimitedLog(log, 60_000);
    private final RateLimitedLog declineLog = new RateLimitedLog(log, 60_000);

    public DhcpResponder(DhcpConfig config, BootPolicy policy, LeasePool pool) {
        this.config = Objects.requireNonNull(config, "config");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    public Outcome respond(DhcpRequest r) {
        if (r.relayed() && !config.inSubnet(r.giaddr())) {
            log.debug("{} {} via relay {}: not our subnet, ignored", r.type().tag(), r.mac(), Ipv4.text(r.giaddr()));
            return Outcome.silent(DhcpResult.IGNORED);
        }
        return switch (r.type()) {
            case DISCOVER -> discover(r);
            case REQUEST -> request(r);
            case RELEASE -> release(r);
            case DECLINE -> decline(r);
            case INFORM -> Outcome.send(DhcpResult.ACK, DhcpReplies.informAck(r, config));
            case OTHER -> Outcome.silent(DhcpResult.IGNORED);
        };
    }

    private Outcome discover(DhcpRequest r) {
        BootAnswer boot = boot(r);
        if (!boot.answer()) {
            return Outcome.silent(boot.silentResult());
        }
        Optional<Inet4Address> address = pool.offer(r.mac(), r.requested());
        if (address.isEmpty()) {
            exhaustedLog.warn("DHCP pool {}-{} on {} is exhausted: no address for {}", Ipv4.text(config.rangeStart()),
                    Ipv4.text(config.rangeEnd()), config.interfaceName(), r.mac());
            return Outcome.silent(DhcpResult.DROPPED);
        }
        log.debug("DISCOVER {} xid {}: offer {}{}", r.mac(), Integer.toHexString(r.xid()), Ipv4.text(address.get()),
                boot.boot().map(b -> " boot " + b.bootFile()).orElse(""));
        return Outcome.send(DhcpResult.OFFER, DhcpReplies.offer(r, config, address.get(), boot.boot()));
    }

    private Outcome request(DhcpRequest r) {
        if (r.serverId().isPresent() && !r.serverId().get().equals(config.serverAddress())) {
            // The client chose another server's offer (RFC 2131 §4.3.2): free ours and stay silent.
            pool.forgetOffer(r.mac());
            log.debug("REQUEST {} names server {}: silent", r.mac(), Ipv4.text(r.serverId().get()));
            return Outcome.silent(DhcpResult.IGNORED);
        }
        Inet4Address address;
        if (r.requested().isPresent()) {
            address = r.requested().get(); // SELECTING or INIT-REBOOT
        } else if (r.serverId().isEmpty() && r.hasCiaddr()) {
            address = r.ciaddr(); // RENEWING or REBINDING
        } else {
            log.debug("REQUEST {} names no address", r.mac());
            return Outcome.silent(DhcpResult.MALFORMED);
        }
        if (!config.inSubnet(address)) {
            log.debug("REQUEST {} for {}: not in our subnet, NAK", r.mac(), Ipv4.text(address));
            return Outcome.send(DhcpResult.NAK, DhcpReplies.nak(r, config));
        }
        BootAnswer boot = boot(r);
        if (!boot.answer()) {
            return Outcome.silent(boot.silentResult());
        }
        if (!pool.bind(r.mac(), address, config.leaseSeconds())) {
            log.debug("REQUEST {} for {}: not available to this client, NAK", r.mac(), Ipv4.text(address));
            return Outcome.send(DhcpResult.NAK, DhcpReplies.nak(r, config));
        }
        log.debug("REQUEST {} xid {}: ack {}", r.mac(), Integer.toHexString(r.xid()), Ipv4.text(address));
        return Outcome.send(DhcpResult.ACK, DhcpReplies.ack(r, config, address, boot.boot()));
    }

    private Outcome release(DhcpRequest r) {
        if (r.serverId().isPresent() && !r.serverId().get().equals(config.serverAddress()) || !r.hasCiaddr()) {
            return Outcome.silent(DhcpResult.IGNORED);
        }
        boolean released = pool.release(r.mac(), r.ciaddr());
        log.debug("RELEASE {} of {}: {}", r.mac(), Ipv4.text(r.ciaddr()), released ? "freed" : "not its lease, kept");
        return Outcome.silent(released ? DhcpResult.ACK : DhcpResult.IGNORED);
    }

    private Outcome decline(DhcpRequest r) {
        if (r.serverId().isPresent() && !r.serverId().get().equals(config.serverAddress()) || r.requested().isEmpty()) {
            return Outcome.silent(DhcpResult.IGNORED);
        }
        if (!pool.decline(r.mac(), r.requested().get())) {
            return Outcome.silent(DhcpResult.IGNORED);
        }
        declineLog.warn("DHCP client {} declined {} on {}: another host uses that address; it is held back",
                r.mac(), Ipv4.text(r.requested().get()), config.interfaceName());
        return Outcome.silent(DhcpResult.ACK);
    }

    private BootAnswer boot(DhcpRequest r) {
        if (!r.bootClient()) {
            return BootAnswer.PLAIN;
        }
        if (r.archMalformed()) {
            log.debug("{} {}: malformed option 93, no boot answer", r.type().tag(), r.mac());
            return BootAnswer.SILENT;
        }
        BootClient client = new BootClient(r.mac(), r.architecture(), r.ipxe(), r.vendorClass(), config.interfaceName());
        Optional<DhcpBoot> boot;
        try {
            boot = policy.dhcpBoot(client);
        } catch (RuntimeException e) {
            policyLog.warn("boot policy failed for {}: {}", r.mac(), e.toString());
            return BootAnswer.FAILED;
        }
        if (boot.isEmpty()) {
            log.debug("{} {}: the boot policy has no answer, silent", r.type().tag(), r.mac());
            return BootAnswer.SILENT;
        }
        if (!DhcpReplies.bootFileFits(boot.get())) {
            policyLog.warn("boot file for {} is longer than 255 bytes and cannot be sent: {}", r.mac(), boot.get().bootFile());
            return BootAnswer.FAILED;
        }
        return new BootAnswer(true, boot, DhcpResult.IGNORED);
    }
}
