package io.metalcast.engine.config;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole engine configuration, read once from one YAML file by {@link #load(Optional)}. Every key has a default.
 *
 * @param dataDir   {@code data_dir}: root of the database, the image store, temporary files and ephemeral images
 * @param database  {@code database}
 * @param api       {@code api}: the REST API and status page listener
 * @param http      {@code http}: the boot HTTP listener
 * @param tftp      {@code tftp}: the TFTP listener
 * @param advertise {@code advertise}: the address machines reach us on (127.0.0.1 when not set and DHCP is off)
 * @param dhcp      {@code dhcp}
 * @param boot      {@code boot}
 * @param deploy    {@code deploy}
 * @param images    {@code images}: where ephemeral images are imported from, and which
 */
public record EngineConfig(Path dataDir, Database database, Listener api, Listener http, Listener tftp, Inet4Address advertise,
                           Dhcp dhcp, Boot boot, Deploy deploy, Images images) {

    public EngineConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(tftp, "tftp");
        Objects.requireNonNull(advertise, "advertise");
        Objects.requireNonNull(dhcp, "dhcp");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(deploy, "deploy");
        Objects.requireNonNull(images, "images");
    }

    /** Without an {@code images} section: the defaults. */
    public EngineConfig(Path dataDir, Database database, Listener api, Listener http, Listener tftp, Inet4Address advertise,
                        Dhcp dhcp, Boot boot, Deploy deploy) {
        this(dataDir, database, api, http, tftp, advertise, dhcp, boot, deploy, Images.DEFAULTS);
    }

    /** Reads the file when given, else the defaults. Throws {@link ConfigException} naming the key path on any error. */
    public static EngineConfig load(Optional<Path> file) {
        return ConfigLoader.load(file);
    }

    /** Parses YAML text (the file's content). */
    public static EngineConfig parse(String yaml) {
        return ConfigLoader.parse(yaml);
    }

    /** The configuration with every default. */
    public static EngineConfig defaults() {
        return ConfigLoader.parse("");
    }

    /** Returns a copy with another data directory (tests, tools). */
    public EngineConfig withDataDir(Path dir) {
        return new EngineConfig(dir, database, api, http, tftp, advertise, dhcp, boot, deploy, images);
    }

    /** Returns a copy with other listeners (tests bind port 0). */
    public EngineConfig withListeners(Listener api, Listener http, Listener tftp) {
        return new EngineConfig(dataDir, database, api, http, tftp, advertise, dhcp, boot, deploy, images);
    }

    /** {@code database.url}: a JDBC URL; empty means the embedded H2 file database under {@code data_dir/db/metalcast}. */
    public record Database(String url) {
        public Database {
            Objects.requireNonNull(url, "url");
        }

        public String jdbcUrl(Path dataDir) {
            // The engine closes the pool itself on shutdown; H2's own shutdown hook would close the database under it.
            // WRITE_DELAY=0: each commit is written when it returns (H2 otherwise keeps up to 500 ms of commits in memory,
            // and a killed engine would forget chunks it had acknowledged).
            return url.isEmpty() ? "jdbc:h2:file:" + dataDir.resolve("db").resolve("metalcast").toAbsolutePath()
                    + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"
                    : url;
        }
    }

    /** {@code <name>.listen}: host:port to bind. */
    public record Listener(InetSocketAddress listen) {
        public Listener {
            Objects.requireNonNull(listen, "listen");
        }

        public int port() {
            return listen.getPort();
        }
    }

    /**
     * {@code dhcp}: empty {@code interfaces} means DHCP is off.
     *
     * @param range first and last address handed out, inside {@code subnet}
     */
    public record Dhcp(List<String> interfaces, Optional<Subnet> subnet, Optional<Range> range, Optional<Inet4Address> router,
                       List<Inet4Address> dns, int leaseSeconds) {
        public Dhcp {
            interfaces = List.copyOf(interfaces);
            Objects.requireNonNull(subnet, "subnet");
            Objects.requireNonNull(range, "range");
            Objects.requireNonNull(router, "router");
            dns = List.copyOf(dns);
            if (leaseSeconds < 1) {
                throw new IllegalArgumentException("lease_seconds: " + leaseSeconds + " (expected: 1 or more)");
            }
        }

        public boolean enabled() {
            return !interfaces.isEmpty();
        }
    }

    /** An IPv4 subnet in CIDR form. */
    public record Subnet(Inet4Address network, int prefix) {
        public Subnet {
            Objects.requireNonNull(network, "network");
            if (prefix < 0 || prefix > 32) {
                throw new IllegalArgumentException("prefix: " + prefix + " (expected: 0..32)");
            }
        }

        public long mask() {
            return prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        }

        public boolean contains(Inet4Address a) {
            return (Ipv4.toLong(a) & mask()) == (Ipv4.toLong(network) & mask());
        }

        @Override
        public String toString() {
            return network.getHostAddress() + "/" + prefix;
        }
    }

    /** An inclusive address range. */
    public record Range(Inet4Address first, Inet4Address last) {
        public Range {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(last, "last");
            if (Ipv4.toLong(first) > Ipv4.toLong(last)) {
                throw new IllegalArgumentException("range: " + first.getHostAddress() + "-" + last.getHostAddress()
                        + " (expected: first address not above the last)");
            }
        }
    }

    /**
     * {@code boot}.
     *
     * @param ipxeDir       where {@code undionly.kpxe} and {@code ipxe.efi} live
     * @param kernelOptions appended to ephemeral kernel command lines
     */
    public record Boot(Path ipxeDir, String kernelOptions) {
        public Boot {
            Objects.requireNonNull(ipxeDir, "ipxeDir");
            Objects.requireNonNull(kernelOptions, "kernelOptions");
        }
    }

    /** Returns a copy with another {@code images} section (tests, the import command). */
    public EngineConfig withImages(Images images) {
        return new EngineConfig(dataDir, database, api, http, tftp, advertise, dhcp, boot, deploy, images);
    }

    /**
     * {@code images}.
     *
     * @param source                a simplestreams mirror ({@code http(s)://}, {@code file:} URL or a directory); empty: none
     * @param releases              Ubuntu releases imported ({@code jammy})
     * @param arches                architectures imported ({@code amd64})
     * @param commissioningRelease  {@code <os>/<release>} of the ephemeral that deploys images with a non-Ubuntu base
     */
    public record Images(String source, List<String> releases, List<String> arches, String commissioningRelease) {
        public static final Images DEFAULTS = new Images("", List.of("jammy"), List.of("amd64"), "ubuntu/jammy");

        public Images {
            Objects.requireNonNull(source, "source");
            releases = List.copyOf(releases);
            arches = List.copyOf(arches);
            Objects.requireNonNull(commissioningRelease, "commissioningRelease");
        }
    }

    /** {@code deploy}. */
    public record Deploy(Duration timeout) {
        public Deploy {
            Objects.requireNonNull(timeout, "timeout");
        }
    }
}
