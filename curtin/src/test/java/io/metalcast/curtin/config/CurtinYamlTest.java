package io.metalcast.curtin.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CurtinYamlTest {
    private static CurtinConfig sample() {
        Map<String, WriteFile> files = new LinkedHashMap<>();
        files.put("zz_hostname", new WriteFile("/etc/hostname", "node-1\n", "0644"));
        files.put("aa_key", new WriteFile("/root/.ssh/authorized_keys", "ssh-ed25519 AAAA x@y\nsecond line: with colon\n", "0600"));
        return new CurtinConfig(
                Map.of("image", new Source("dd-raw", "http://10.0.0.2:5248/images/ab12/custom/amd64/generic/x/uploaded/root-dd.raw",
                        "a".repeat(64), 67108864L)),
                Map.of("maas", new WebhookReporter("http://10.0.0.2:5248/MAAS/metadata/status/abc123", "CK", "TK", "TS")),
                files, "/tmp/install.log");
    }

    @Test
    void roundTrips() {
        CurtinConfig config = sample();
        String yaml = CurtinYaml.render(config);
        assertEquals(config, CurtinYaml.parse(yaml));
        assertEquals(List.of("zz_hostname", "aa_key"), List.copyOf(CurtinYaml.parse(yaml).writeFiles().keySet()), "order kept");
        assertTrue(yaml.contains("type: webhook"), yaml);
        assertTrue(yaml.contains("type: dd-raw"), yaml);
    }

    @Test
    void carriesTheBlockMapOfARawSource() {
        Source raw = new Source("dd-raw", "http://h/root-dd.raw", "a".repeat(64), 4096).withBlockMap("http://h/root-dd.raw.bmap", "b".repeat(64));
        CurtinConfig config = new CurtinConfig(Map.of("image", raw), Map.of(), Map.of(), "");
        String yaml = CurtinYaml.render(config);
        assertTrue(yaml.contains("bmap: http://h/root-dd.raw.bmap"), yaml);
        assertEquals(raw, CurtinYaml.parse(yaml).sources().get("image"));
        assertThrows(IllegalArgumentException.class, () -> CurtinYaml.parse("sources: {i: {type: dd-raw, uri: u, bmap: 'http://h/x.bmap'}}"),
                "a bmap without its sha256 is refused");
    }

    @Test
    void ignoresUnknownKeysAsCurtinDoes() {
        String yaml = """
                sources:
                  image: {type: dd-raw, uri: 'http://h/root-dd.raw', extra: 1}
                storage: {version: 1, config: []}
                late_commands:
                  '01': [sh, -c, 'echo hi']
                reporting:
                  maas: {type: webhook, endpoint: 'http://h/status', consumer_key: CK, token_key: TK, token_secret: TS}
                  other: {type: print}
                write_files:
                  f: {path: /etc/motd, content: hello, owner: 'root:root'}
                power_state: {mode: reboot}
                install: {log_file: /tmp/install.log, post_files: [/tmp/install.log]}
                """;
        CurtinConfig c = CurtinYaml.parse(yaml);
        assertEquals(new Source("dd-raw", "http://h/root-dd.raw", "", -1), c.sources().get("image"));
        assertEquals(Map.of("maas", new WebhookReporter("http://h/status", "CK", "TK", "TS")), c.reporting());
        assertEquals(Map.of("f", new WriteFile("/etc/motd", "hello", "0644")), c.writeFiles());
        assertEquals("/tmp/install.log", c.installLogFile());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"'0600'|0600", "0600|0600", "0o755|0o755", "'644'|644",
            "644|01204", "0|00"})
    /** Unquoted numbers are YAML 1.1 integers (0600 octal, 644 decimal) as PyYAML gives them to curtin; kept as octal text. */
    void readsPermissionsAsCurtinDoes(String yamlValue, String expected) {
        CurtinConfig c = CurtinYaml.parse("write_files: {f: {path: /x, content: '', permissions: " + yamlValue + "}}");
        assertEquals(expected, c.writeFiles().get("f").permissions());
    }

    @Test
    void refusesWhatIsNotAMapping() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CurtinYaml.parse("sources: [a, b]"));
        assertEquals("sources: ArrayList (expected: a mapping)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CurtinYaml.parse("sources: {i: {type: dd-raw}}"));
    }
}
