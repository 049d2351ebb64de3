package io.metalcast.engine.ephemeral.simplestreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StreamsParserTest {
    private final StreamsParser parser = new StreamsParser();

    private StreamDocument parse(String json) throws Exception {
        return parser.parse(new ByteArrayInputStream(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8)), "test");
    }

    @Test
    void indexKeepsEveryDatatype() throws Exception {
        StreamIndex idx = (StreamIndex) parse("{'format':'index:1.0','index':{"
                + "'com.ubuntu.maas:stable:v3:download':{'datatype':'image-ids','format':'products:1.0',"
                + "'path':'streams/v1/com.ubuntu.maas:stable:v3:download.json','products':['a','b']},"
                + "'other':{'datatype':'image-downloads','path':'streams/v1/other.json'}}}");
        assertEquals(2, idx.entries().size());
        assertEquals("image-ids", idx.entries().get(0).datatype());
        assertEquals(List.of("a", "b"), idx.entries().get(0).products());
        assertEquals("streams/v1/other.json", idx.entries().get(1).path());
    }

    @Test
    void keysAreInheritedDownwardsAndTheNewestSerialIsTheLargestString() throws Exception {
        ProductsFile pf = (ProductsFile) parse("{'format':'products:1.0','content_id':'c','os':'ubuntu','label':'top','products':{"
                + "'p':{'arch':'amd64','release':'jammy','subarch':'ga-22.04','label':'stable','subarches':'generic, hwe-p,ga-22.04','versions':{"
                + "'20250718':{'label':'v','items':{'k':{'ftype':'boot-kernel','path':'x/k','sha256':'AB','size':12}}},"
                + "'20250718.1':{'items':{'k':{'ftype':'boot-kernel','path':'x/k1','sha256':'ab','size':13,'kflavor':'lowlatency'}}},"
                + "'20240101':{'items':{}}}}}}");
        StreamProduct p = pf.products().get(0);
        assertEquals("ubuntu", p.os());
        assertEquals("stable", p.key("label").orElseThrow());
        assertEquals(List.of("generic", "hwe-p", "ga-22.04"), p.subarches());
        assertEquals("generic", p.kflavor());
        assertEquals("20250718.1", p.newest().orElseThrow().serial());
        StreamItem old = p.versions().get("20250718").items().get("k");
        assertEquals("v", old.key("label").orElseThrow(), "version level beats product level");
        assertEquals("ubuntu", old.key("os").orElseThrow(), "top level reaches the item");
        assertEquals("ab", old.sha256());
        assertEquals(12, old.size());
        assertEquals("lowlatency", p.newest().orElseThrow().items().get("k").kflavor());
        assertTrue(p.versions().get("20240101").items().isEmpty());
    }

    @Test
    void notAStreamIsMalformed() {
        SimplestreamsException e = assertThrows(SimplestreamsException.class, () -> parse("{'format':'other'}"));
        assertEquals(SimplestreamsException.Kind.MALFORMED, e.kind());
        assertEquals(SimplestreamsException.Kind.MALFORMED,
                assertThrows(SimplestreamsException.class, () -> parse("-----BEGIN PGP SIGNED MESSAGE-----")).kind());
    }

    @ParameterizedTest
    @CsvSource({
        "http://h/ephemeral-v3/stable, http://h/ephemeral-v3/stable/, streams/v1/index.json, false",
        "http://h/ephemeral-v3/stable/, http://h/ephemeral-v3/stable/, streams/v1/index.json, false",
        "http://h, http://h/, streams/v1/index.json, false",
        "http://h:8080/m/streams/v1/index.json, http://h:8080/m/, streams/v1/index.json, true",
        "https://h/streams/v1/index.sjson, https://h/, streams/v1/index.sjson, true",
        "http://h/m/streams/v1/com.ubuntu.maas:stable:v3:download.json, http://h/m/, streams/v1/com.ubuntu.maas:stable:v3:download.json, true",
        "file:///srv/mirror, file:///srv/mirror/, streams/v1/index.json, false",
    })
    void mirrorLocations(String given, String root, String entry, boolean named) throws Exception {
        MirrorLocation l = MirrorLocation.of(URI.create(given));
        assertEquals(new MirrorLocation(URI.create(root), entry, named), l);
        assertEquals(URI.create(root + "a/b:c"), l.resolve("a/b:c"));
    }

    @ParameterizedTest
    @CsvSource({"ftp://h/x", "http://h/x?y=1", "/relative/without/scheme"})
    void unusableLocations(String given) {
        assertThrows(Exception.class, () -> MirrorLocation.of(URI.create(given)));
    }

    @ParameterizedTest
    @CsvSource({"../etc/passwd", "/abs", "a/../../b", "a//b", "a/%2e%2e/b", "a\\b", "a?x"})
    void pathsOutsideTheRootAreRefused(String path) {
        assertThrows(IllegalArgumentException.class, () -> MirrorPaths.check(path));
    }

    @Test
    void aPlainDirectoryBecomesAFileUrl() {
        assertEquals("file", MirrorLocation.toUri("/srv/mirror").getScheme());
        assertFalse(MirrorLocation.toUri("http://h/x").getScheme().equals("file"));
    }
}
