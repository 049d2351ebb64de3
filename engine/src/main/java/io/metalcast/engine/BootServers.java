package io.metalcast.engine;

import io.metalcast.engine.config.EngineConfig;
import io.metalcast.pxe.dhcp.DhcpConfig;
import io.metalcast.pxe.dhcp.DhcpServer;
import io.metalcast.pxe.http.HttpBootServer;
import io.metalcast.pxe.tftp.TftpServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot servers of one engine: boot HTTP, TFTP, and a DHCP server per configured interface, all asking the engine's
 * boot policy on its blocking executor. DHCP starts only on the interfaces the configuration names.
 */
public final class BootServers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BootServers.class);

    private final List<AutoCloseable> started = new ArrayList<>();
    private HttpBootServer http;
    private TftpServer tftp;

    private BootServers() {
    }

    /** Starts every boot server for a started engine; on any failure stops those already started and throws. */
    public static BootServers start(Engine engine) throws IOException, InterruptedException {
        EngineConfig config = engine.config();
        BootServers servers = new BootServers();
        try {
            servers.http = new HttpBootServer(config.http().listen(), engine.bootPolicy(), engine.blocking(), engine.registry());
            servers.http.start();
            servers.started.add(servers.http);
            engine.httpBound(servers.http.localAddress().getPort());

            servers.tftp = new TftpServer(config.tftp().listen(), engine.bootPolicy(), engine.blocking(), engine.registry());
            servers.tftp.start();
            servers.started.add(servers.tftp);

            EngineConfig.Dhcp dhcp = config.dhcp();
            if (!dhcp.enabled()) {
                log.info("dhcp off: no dhcp.interfaces configured");
            }
            for (String ifname : dhcp.interfaces()) {
                DhcpServer server = new DhcpServer(dhcpConfig(config, ifname), engine.bootPolicy(), engine.blocking(), engine.registry());
                server.start();
                servers.started.add(server);
                log.info("dhcp answering on interface {} for {} ({})", ifname, dhcp.subnet().orElseThrow(), dhcp.range().orElseThrow());
            }
            return servers;
        } catch (IOException | InterruptedException | RuntimeException e) {
            servers.close();
            throw e;
        }
    }

    static DhcpConfig dhcpConfig(EngineConfig config, String ifname) {
        EngineConfig.Dhcp d = config.dhcp();
        EngineConfig.Subnet subnet = d.subnet().orElseThrow();
        EngineConfig.Range range = d.range().orElseThrow();
        return new DhcpConfig(ifname, config.advertise(), subnet.network(), subnet.prefix(), range.first(), range.last(), d.router(),
                d.dns(), d.leaseSeconds(), 67, 68);
    }

    public HttpBootServer http() {
        return http;
    }

    public TftpServer tftp() {
        return tftp;
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", started.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        started.clear();
    }
}
