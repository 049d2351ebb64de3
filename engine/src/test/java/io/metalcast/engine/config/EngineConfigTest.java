package io.metalcast.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EngineConfigTest {

    @Test
    void noFileGivesEveryDefault() {
        EngineConfig c = EngineConfig.load(Optional.empty());
        assertEquals(Path.of("./data"), c.dataDir());
        assertEquals("", c.database().url());
        assertTrue(c.database().jdbcUrl(c.dataDir()).startsWith("jdbc:h2:file:"));
        assertTrue(c.database().jdbcUrl(c.dataDir()).contains("db/metalcast;"));
        assertEquals("0.0.0.0:5240", c.api().listen().getHostString() + ":" + c.api().port());
        assertEquals(5248, c.http().port());
        assertEquals(69, c.tftp().port());
        assertEquals("127.0.0.1", c.advertise().getHostAddress());
        assertFalse(c.dhcp().enabled());
        assertEquals(600, c.dhcp().leaseSeconds());
        assertEquals(Path.of("/usr/lib/ipxe"), c.boot().ipxeDir());
        assertEquals("console=tty0 console=ttyS0,115200n8", c.boot().kernelOptions());
        assertEquals(Duration.ofSeconds(1800), c.deploy().timeout());
    }

    @Test
    void loadsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("metalcast.yaml");
        Files.writeString(f, "data_dir: /var/lib/metalcast\napi:\n  listen: 127.0.0.1:15240\n");
        EngineConfig c = EngineConfig.load(Optional.of(f));
        assertEquals(Path.of("/var/lib/metalcast"), c.dataDir());
        assertEquals(15240, c.api().port());
    }

    @Test
    void missingFileNamesIt(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> EngineConfig.load(Optional.of(dir.resolve("nope.yaml"))));
        assertTrue(e.getMessage().contains("nope.yaml"), e.getMessage());
    }

    static Stream<Arguments> good() {
        return Stream.of(
                Arguments.of("", (Function<EngineConfig, Object>) c -> c.api().port(), 5240),
                Arguments.of("# only a comment\n", (Function<EngineConfig, Object>) c -> c.http().port(), 5248),
                Arguments.of("database:\n  url: jdbc:postgresql://db/metalcast\n", (Function<EngineConfig, Object>) c -> c.database().url(),
                        "jdbc:postgresql://db/metalcast"),
                Arguments.of("tftp:\n  listen: 10.0.0.2:6969\n", (Function<EngineConfig, Object>) c -> c.tftp().port(), 6969),
                Arguments.of("http:\n  listen: 0.0.0.0:0\n", (Function<EngineConfig, Object>) c -> c.http().port(), 0),
                Arguments.of("advertise: 192.168.10.2\n", (Function<EngineConfig, Object>) c -> c.advertise().getHostAddress(), "192.168.10.2"),
                Arguments.of("dhcp:\n  interfaces: [mc-br0]\n  subnet: 10.77.0.0/24\n  range: 10.77.0.100-10.77.0.199\n"
                        + "  router: 10.77.0.1\n  dns: [10.77.0.1, 9.9.9.9]\n  lease_seconds: 300\nadvertise: 10.77.0.2\n",
                        (Function<EngineConfig, Object>) c -> c.dhcp().enabled() + " " + c.dhcp().subnet().get() + " "
                                + c.dhcp().range().get().last().getHostAddress() + " " + c.dhcp().dns().size() + " " + c.dhcp().leaseSeconds(),
                        "true 10.77.0.0/24 10.77.0.199 2 300"),
                Arguments.of("dhcp:\n  subnet: 10.77.0.0/24\n", (Function<EngineConfig, Object>) c -> c.dhcp().enabled(), false),
                Arguments.of("boot:\n  ipxe_dir: /srv/ipxe\n  kernel_options: ''\n",
                        (Function<EngineConfig, Object>) c -> c.boot().ipxeDir() + "|" + c.boot().kernelOptions(), "/srv/ipxe|"),
                Arguments.of("deploy:\n  timeout_seconds: 60\n", (Function<EngineConfig, Object>) c -> c.deploy().timeout().toSeconds(), 60L));
    }

    @ParameterizedTest
    @MethodSource("good")
    void readsGoodFiles(String yaml, Function<EngineConfig, Object> get, Object expected) {
        assertEquals(expected, get.apply(EngineConfig.parse(yaml)));
    }

    static List<Arguments> bad() {
        String dhcpOn = "dhcp:\n  interfaces: [mc-br0]\n  subnet: 10.77.0.0/24\n  range: 10.77.0.100-10.77.0.199\n";
        return List.of(
                Arguments.of("api:\n  listen: abc\n", "config: api.listen: 'abc' (expected: host:port)"),
                Arguments.of("api:\n  listen: 1.2.3.4:70000\n", "config: api.listen: '1.2.3.4:70000' (expected: host:port)"),
                Arguments.of("api:\n  listen: 5240\n", "config: api.listen: 5240 (expected: a string)"),
                Arguments.of("dhcp:\n  intrfaces: [eth0]\n",
                        "config: dhcp.intrfaces: unknown key (expected one of: interfaces, subnet, range, router, dns, lease_seconds)"),
                Arguments.of("datadir: x\n", "config: datadir: unknown key (expected one of: data_dir, database, api, http, tftp, advertise, "
                        + "dhcp, boot, deploy, images)"),
                Arguments.of("api:\n  port: 1\n", "config: api.port: unknown key (expected one of: listen)"),
                Arguments.of("- a\n- b\n", "config: (top level): [a, b] (expected: a mapping)"),
                Arguments.of("api: 5\n", "config: api: 5 (expected: a mapping)"),
                Arguments.of("advertise: 10.0.0.300\n", "config: advertise: '10.0.0.300' (expected: an IPv4 address)"),
                Arguments.of("database:\n  url: postgres://x\n", "config: database.url: 'postgres://x' (expected: a JDBC URL starting with jdbc:, or empty)"),
                Arguments.of("dhcp:\n  lease_seconds: '600'\n", "config: dhcp.lease_seconds: '600' (expected: an integer 1..2147483647)"),
                Arguments.of("dhcp:\n  lease_seconds: 0\n", "config: dhcp.lease_seconds: 0 (expected: an integer 1..2147483647)"),
                Arguments.of("dhcp:\n  interfaces: eth0\n", "config: dhcp.interfaces: 'eth0' (expected: a list)"),
                Arguments.of("dhcp:\n  interfaces: ['eth0; rm']\n", "config: dhcp.interfaces: 'eth0; rm' (expected: an interface name)"),
                Arguments.of("dhcp:\n  subnet: 10.0.0.0\n", "config: dhcp.subnet: '10.0.0.0' (expected: a.b.c.d/n)"),
                Arguments.of("dhcp:\n  subnet: 10.0.0.0/33\n", "config: dhcp.subnet: '10.0.0.0/33' (expected: a.b.c.d/n)"),
                Arguments.of("dhcp:\n  range: 10.0.0.9-10.0.0.1\n", "config: dhcp.range: '10.0.0.9-10.0.0.1' (expected: a.b.c.d-a.b.c.e, first not above last)"),
                Arguments.of("dhcp:\n  interfaces: [eth0]\n", "config: dhcp.subnet: missing (expected: a.b.c.d/n when dhcp.interfaces is set)"),
                Arguments.of("dhcp:\n  interfaces: [eth0]\n  subnet: 10.0.0.0/24\n",
                        "config: dhcp.range: missing (expected: a.b.c.d-a.b.c.e when dhcp.interfaces is set)"),
                Arguments.of(dhcpOn, "config: advertise: missing (expected: this server's IPv4 address in 10.77.0.0/24 when dhcp.interfaces is set)"),
                Arguments.of(dhcpOn + "advertise: 10.78.0.2\n", "config: advertise: '10.78.0.2' (expected: an address inside dhcp.subnet 10.77.0.0/24)"),
                Arguments.of("dhcp:\n  interfaces: [eth0]\n  subnet: 10.77.0.0/24\n  range: 10.77.0.100-10.77.1.5\nadvertise: 10.77.0.2\n",
                        "config: dhcp.range: '10.77.0.100-10.77.1.5' (expected: a range inside 10.77.0.0/24)"),
                Arguments.of(dhcpOn + "  router: 10.9.9.9\nadvertise: 10.77.0.2\n",
                        "config: dhcp.router: '10.9.9.9' (expected: an address inside dhcp.subnet 10.77.0.0/24)"),
                Arguments.of("dhcp:\n  dns: [dns.example]\n", "config: dhcp.dns: 'dns.example' (expected: an IPv4 address)"),
                Arguments.of("boot:\n  kernel_options: 'quiet ${evil}'\n",
                        "config: boot.kernel_options: 'quiet ${evil}' (expected: letters, digits, spaces and ._:/=,+@- only)"),
                Arguments.of("deploy:\n  timeout_seconds: -5\n", "config: deploy.timeout_seconds: -5 (expected: an integer 1..604800)"),
                Arguments.of("data_dir: ''\n", "config: data_dir: '' (expected: a directory path)"));
    }

    @ParameterizedTest
    @MethodSource("bad")
    void refusesBadFilesNamingTheKey(String yaml, String message) {
        ConfigException e = assertThrows(ConfigException.class, () -> EngineConfig.parse(yaml));
        assertEquals(message, e.getMessage());
    }

    @Test
    void refusesInvalidYaml() {
        ConfigException e = assertThrows(ConfigException.class, () -> EngineConfig.parse("api: [\n"));
        assertTrue(e.getMessage().startsWith("config: not valid YAML"), e.getMessage());
    }

    @Test
    void refusesDuplicateKeys() {
        assertThrows(ConfigException.class, () -> EngineConfig.parse("advertise: 10.0.0.1\nadvertise: 10.0.0.2\n"));
    }
}
