package io.metalcast.testbed.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace of the lab's own: a bridge {@code br0} with the engine's boot address, one tap per machine, and a
 * veth pair so the host side (tests, the operator's browser) reaches the engine's API. Nothing leaves the namespace but
 * the veth, whose far end is the host's own address. Deleted on close, with everything in it.
 */
public final class LabNetwork implements AutoCloseable {
    /** Boot network inside the namespace. */
    public static final String BRIDGE_ADDRESS = "10.77.0.1";
    public static final String BRIDGE_CIDR = "10.77.0.0/24";
    public static final String DHCP_RANGE = "10.77.0.100-10.77.0.199";
    /** A unique-local prefix for the lab link, so iPXE's IPv6 configuration completes at once. */
    static final String BRIDGE_IPV6_PREFIX = "fd77:6d63::/64";
    static final String BRIDGE_IPV6 = "fd77:6d63::1";

    private final String namespace;
    private final String hostVeth;
    private final String labAddress;
    private final List<String> taps = new ArrayList<>();
    private Process radvd;
    private Path radvdDir;

    private LabNetwork(String namespace, String hostVeth, String labAddress) {
        this.namespace = namespace;
        this.hostVeth = hostVeth;
        this.labAddress = labAddress;
    }

    /** Creates the namespace; the suffix keeps names unique (the process id is a good one). */
    public static LabNetwork create(long suffix) throws IOException, InterruptedException {
        String ns = "mclab" + suffix;
        String veth = "mcv" + suffix;
        // A /30 of the link-local-free 10.78/16 per lab, chosen by suffix, so two labs on one host do not collide.
        int n = (int) (suffix % 16000);
        String base = "10.78." + (n / 64) + "." + (n % 64) * 4;
        String host = base.substring(0, base.lastIndexOf('.') + 1) + ((n % 64) * 4 + 1);
        String lab = base.substring(0, base.lastIndexOf('.') + 1) + ((n % 64) * 4 + 2);
        LabNetwork net = new LabNetwork(ns, veth, lab);
        try {
            Processes.runQuietly("ip", "netns", "del", ns);
            Processes.runQuietly("ip", "link", "del", veth);
            Processes.run("ip", "netns", "add", ns);
            Processes.run("ip", "-n", ns, "link", "set", "lo", "up");
            Processes.run("ip", "-n", ns, "link", "add", "br0", "type", "bridge");
            Processes.run("ip", "-n", ns, "addr", "add", BRIDGE_ADDRESS + "/24", "dev", "br0");
            Processes.run("ip", "-n", ns, "link", "set", "br0", "up");
            Processes.run("ip", "-n", ns, "addr", "add", BRIDGE_IPV6 + "/64", "dev", "br0", "nodad");
            Processes.run("ip", "link", "add", veth, "type", "veth", "peer", "name", "api0", "netns", ns);
            Processes.run("ip", "addr", "add", host + "/30", "dev", veth);
            Processes.run("ip", "link", "set", veth, "up");
            Processes.run("ip", "-n", ns, "addr", "add", lab + "/30", "dev", "api0");
            Processes.run("ip", "-n", ns, "link", "set", "api0", "up");
            net.startRouterAdvertisements();
            return net;
        } catch (IOException | InterruptedException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /**
     * iPXE waits about 13 s for IPv6 router advertisements on a link that has none (LAB-NOTES). radvd in the namespace
     * answers its router solicitation at once: a prefix for the lab link, no default route, nothing routed anywhere.
     */
    private void startRouterAdvertisements() throws IOException {
        Path dir = Files.createTempDirectory("metalcast-radvd");
        radvdDir = dir;
        Path conf = dir.resolve("radvd.conf");
        Files.writeString(conf, String.join("\n",
                "interface br0 {",
                "  AdvSendAdvert on;",
                "  MinRtrAdvInterval 3;",
                "  MaxRtrAdvInterval 10;",
                "  AdvDefaultLifetime 0;",
                "  prefix " + BRIDGE_IPV6_PREFIX + " { AdvOnLink on; AdvAutonomous on; };",
                "};", ""));
        radvd = new ProcessBuilder(exec(List.of("radvd", "--nodaemon", "--config", conf.toString(), "--pidfile",
                dir.resolve("radvd.pid").toString(), "--logmethod", "stderr")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("radvd.log").toFile()).start();
    }

    /** Adds a tap on the bridge for one machine and returns its name. */
    public String addTap() throws IOException, InterruptedException {
        String tap = "tap" + taps.size();
        Processes.run("ip", "-n", namespace, "tuntap", "add", "dev", tap, "mode", "tap");
        Processes.run("ip", "-n", namespace, "link", "set", tap, "master", "br0", "up");
        taps.add(tap);
        return tap;
    }

    public String namespace() {
        return namespace;
    }

    /** The engine's address as seen from the host (the lab end of the veth). */
    public String labAddress() {
        return labAddress;
    }

    /** The command prefix that runs a program inside the namespace. */
    public List<String> exec(List<String> command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        all.addAll(command);
        return all;
    }

    @Override
    public void close() {
        Processes.stop(radvd, 2000);
        if (radvdDir != null) {
            Processes.runQuietly("rm", "-rf", radvdDir.toString());
        }
        Processes.runQuietly("ip", "link", "del", hostVeth);
        Processes.runQuietly("ip", "netns", "del", namespace);
    }
}
