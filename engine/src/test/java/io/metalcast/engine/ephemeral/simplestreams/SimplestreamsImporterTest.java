package io.metalcast.engine.ephemeral.simplestreams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalcast.curtin.image.Sha256;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.FileAction;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.FileReport;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.Outcome;
import io.metalcast.engine.ephemeral.simplestreams.ImportReport.ProductReport;
import io.metalcast.engine.image.EphemeralCatalog;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SimplestreamsImporterTest {
    enum Transport { LOCAL, HTTP }

    @TempDir
    Path tmp;
    Path dataDir;
    MirrorFixture mirror;
    final List<String> events = new ArrayList<>();
    SimplestreamsImporter importer;

    @BeforeEach
    void setUp() throws IOException {
        dataDir = tmp.resolve("data");
        mirror = new MirrorFixture(tmp.resolve("mirror"));
        importer = new SimplestreamsImporter(ImporterOptions.defaults(), new ImportListener() {
            @Override
            public void imported(String os, String arch, String release, Path dir) {
                events.add(os + "/" + arch + "/" + release + " " + dir.getFileName());
            }
        }, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        mirror.close();
    }

    URI url(Transport t) throws IOException {
        return t == Transport.LOCAL ? MirrorLocation.toUri(mirror.root.toString()) : mirror.serve("/ephemeral-v3/stable");
    }

    ImportReport run(URI url, List<String> releases, List<String> arches) throws Exception {
        return importer.importImages(url, Selection.ubuntu(releases, arches), dataDir);
    }

    static ProductReport only(ImportReport r, String release, String arch, Outcome outcome) {
        List<ProductReport> l = r.products().stream()
                .filter(p -> p.release().equals(release) && p.arch().equals(arch) && p.outcome() == outcome).toList();
        assertEquals(1, l.size(), r.toString());
        return l.get(0);
    }

    byte[] onDisk(String release, String arch, String ftype) throws IOException {
        return Files.readAllBytes(dataDir.resolve("ephemeral/ubuntu").resolve(arch).resolve(release).resolve(ftype));
    }

    void assertSet(String release, String arch, String serial) throws IOException {
        for (String f : SimplestreamsImporter.FTYPES) {
            assertArrayEquals(MirrorFixture.content(release, arch, serial, "generic", f), onDisk(release, arch, f), release + " " + f);
        }
        assertTrue(new EphemeralCatalog(dataDir).find("ubuntu", arch, release).isPresent());
        ImportedSet s = ImportedSet.read(dataDir.resolve("ephemeral/ubuntu").resolve(arch).resolve(release)).orElseThrow();
        assertEquals(serial, s.version());
        assertEquals(MirrorFixture.id(release, arch, "generic"), s.productId());
        assertEquals(Sha256.of(MirrorFixture.content(release, arch, serial, "generic", "squashfs")), s.files().get("squashfs").sha256());
    }

    void assertNoLeftovers() throws IOException {
        try (Stream<Path> s = Files.list(dataDir.resolve("tmp"))) {
            assertEquals(List.of(), s.toList(), "data_dir/tmp is empty");
        }
        Path sets = dataDir.resolve("ephemeral/.sets/ubuntu");
        if (Files.isDirectory(sets)) {
            try (Stream<Path> s = Files.walk(sets, 3)) {
                for (Path rel : s.filter(p -> sets.relativize(p).getNameCount() == 2).toList()) {
                    try (Stream<Path> c = Files.list(rel)) {
                        assertTrue(c.count() <= 1, "one set per release: " + rel);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void importsTheNewestGenericSetOfTheSelectedReleasesAndArchesOnly(Transport t) throws Exception {
        ImportReport r = run(url(t), List.of("jammy", "noble"), List.of("amd64"));
        assertTrue(r.complete(), r.toString());
        ProductReport jammy = only(r, "jammy", "amd64", Outcome.IMPORTED);
        assertEquals("20250718", jammy.version());
        assertEquals("ga-22.04", jammy.subarch());
        assertEquals(List.of(FileAction.DOWNLOADED, FileAction.DOWNLOADED, FileAction.DOWNLOADED),
                jammy.files().stream().map(FileReport::action).toList());
        only(r, "noble", "amd64", Outcome.IMPORTED);
        ProductReport low = only(r, "jammy", "amd64", Outcome.SKIPPED);
        assertEquals("lowlatency", low.kflavor());
        assertEquals(3, r.products().size(), r.toString());
        // the lowlatency kernel is newer and shares the subarch, yet the generic kernel is what lands on disk
        assertSet("jammy", "amd64", "20250718");
        assertSet("noble", "amd64", "20250718");
        assertFalse(Files.exists(dataDir.resolve("ephemeral/ubuntu/arm64")));
        assertEquals(2, new EphemeralCatalog(dataDir).list().size());
        assertEquals(List.of("ubuntu/amd64/jammy jammy", "ubuntu/amd64/noble noble"), events);
        assertNoLeftovers();
        if (t == Transport.HTTP) {
            assertEquals(6, mirror.dataRequests(), "three files per release, no manifest: " + mirror.requests);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void shaMismatchIsRefusedAndThePreviousSetKept(Transport t) throws Exception {
        URI url = url(t);
        run(url, List.of("jammy"), List.of("amd64"));
        mirror.serials.add("20250901");
        mirror.present.add("20250901");
        mirror.write();
        Path squash = mirror.root.resolve(MirrorFixture.path("jammy", "amd64", "20250901", "generic", "squashfs"));
        byte[] bad = Files.readAllBytes(squash);
        bad[100] ^= 1;
        Files.write(squash, bad);

        ImportReport r = run(url, List.of("jammy"), List.of("amd64"));
        ProductReport p = only(r, "jammy", "amd64", Outcome.FAILED);
        assertEquals("20250901", p.version());
        assertTrue(p.reason().contains("sha256"), p.reason());
        assertFalse(r.complete());
        assertSet("jammy", "amd64", "20250718");
        assertNoLeftovers();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aFileLargerThanItsSizeIsRefused(Transport t) throws Exception {
        Path kernel = mirror.root.resolve(MirrorFixture.path("noble", "amd64", "20250718", "generic", "boot-kernel"));
        Files.write(kernel, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        ImportReport r = run(url(t), List.of("noble"), List.of("amd64"));
        ProductReport p = only(r, "noble", "amd64", Outcome.FAILED);
        assertTrue(p.reason().contains("expected: at most") || p.reason().contains("more than the declared"), p.reason());
        assertTrue(new EphemeralCatalog(dataDir).find("ubuntu", "amd64", "noble").isEmpty());
        assertEquals(List.of(), events);
        assertNoLeftovers();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void missingFilesOfUnselectedItemsAreTolerated(Transport t) throws Exception {
        for (String rel : List.of("jammy", "noble")) {
            deleteTree(mirror.root.resolve(rel).resolve("arm64"));
        }
        ImportReport r = run(url(t), List.of("jammy"), List.of("amd64"));
        assertTrue(r.complete(), r.toString());
        assertSet("jammy", "amd64", "20250718");
    }

    @Test
    void aRootWithoutTrailingSlashKeepsItsLastSegment() throws Exception {
        URI url = mirror.serve("/ephemeral-v3/stable");
        assertFalse(url.toString().endsWith("/"));
        ImportReport r = run(url, List.of("jammy"), List.of("amd64"));
        assertEquals(URI.create(url + "/"), r.mirror());
        only(r, "jammy", "amd64", Outcome.IMPORTED);
        assertTrue(mirror.requests.containsKey(MirrorFixture.PRODUCTS), mirror.requests.toString());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aUrlNamingIndexJsonNamesTheEntryFile(Transport t) throws Exception {
        URI url = t == Transport.LOCAL ? mirror.root.resolve(MirrorLocation.INDEX).toUri()
                : URI.create(mirror.serve("/mirror") + "/" + MirrorLocation.INDEX);
        ImportReport r = run(url, List.of("jammy"), List.of("amd64"));
        only(r, "jammy", "amd64", Outcome.IMPORTED);
        assertSet("jammy", "amd64", "20250718");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aMirrorWithOnlySignedStreamsIsRefused(Transport t) throws Exception {
        Path index = mirror.root.resolve(MirrorLocation.INDEX);
        Files.writeString(mirror.root.resolve(MirrorLocation.SIGNED_INDEX),
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + Files.readString(index) + "\n-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n");
        Files.delete(index);
        URI root = url(t);
        for (URI u : List.of(root, URI.create(root.toString().replaceAll("/?$", "/") + MirrorLocation.SIGNED_INDEX))) {
            SimplestreamsException e = assertThrows(SimplestreamsException.class, () -> run(u, List.of("jammy"), List.of("amd64")));
            assertEquals(SimplestreamsException.Kind.SIGNED_ONLY, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("signature verification") && e.getMessage().contains("index.json"), e.getMessage());
        }
        assertFalse(Files.exists(dataDir.resolve("ephemeral")));
    }

    @Test
    void aMirrorWithoutAnyIndexIsNotFound() throws Exception {
        Files.delete(mirror.root.resolve(MirrorLocation.INDEX));
        SimplestreamsException e = assertThrows(SimplestreamsException.class,
                () -> run(mirror.serve("/m"), List.of("jammy"), List.of("amd64")));
        assertEquals(SimplestreamsException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void reimportingTheSameVersionDownloadsNothingAndANewVersionOnlyWhatChanged() throws Exception {
        URI url = mirror.serve("/stable");
        run(url, List.of("jammy"), List.of("amd64"));
        assertEquals(3, mirror.dataRequests());
        Path link = dataDir.resolve("ephemeral/ubuntu/amd64/jammy");
        Path before = Files.readSymbolicLink(link);

        ImportReport again = run(url, List.of("jammy"), List.of("amd64"));
        ProductReport p = only(again, "jammy", "amd64", Outcome.UNCHANGED);
        assertTrue(p.files().stream().allMatch(f -> f.action() == FileAction.REUSED));
        assertEquals(3, mirror.dataRequests(), "no download on re-import");
        assertEquals(before, Files.readSymbolicLink(link));
        assertEquals(List.of("ubuntu/amd64/jammy jammy"), events, "no notice for an unchanged set");

        // a new serial whose squashfs is byte-identical: only kernel and initrd are fetched
        mirror.serials.add("20250902");
        mirror.present.add("20250902");
        mirror.override.put(MirrorFixture.path("jammy", "amd64", "20250902", "generic", "squashfs"),
                MirrorFixture.content("jammy", "amd64", "20250718", "generic", "squashfs"));
        mirror.write();
        ImportReport third = run(url, List.of("jammy"), List.of("amd64"));
        ProductReport q = only(third, "jammy", "amd64", Outcome.IMPORTED);
        assertEquals(List.of(FileAction.DOWNLOADED, FileAction.DOWNLOADED, FileAction.REUSED), q.files().stream().map(FileReport::action).toList());
        assertEquals(5, mirror.dataRequests());
        assertFalse(before.equals(Files.readSymbolicLink(link)));
        assertArrayEquals(MirrorFixture.content("jammy", "amd64", "20250902", "generic", "boot-kernel"), onDisk("jammy", "amd64", "boot-kernel"));
        assertArrayEquals(MirrorFixture.content("jammy", "amd64", "20250718", "generic", "squashfs"), onDisk("jammy", "amd64", "squashfs"));
        assertNoLeftovers();
    }

    @Test
    void aHandPlacedDirectoryIsReplacedOrRecognised() throws Exception {
        Path dir = dataDir.resolve("ephemeral/ubuntu/amd64/jammy");
        Files.createDirectories(dir);
        for (String f : SimplestreamsImporter.FTYPES) {
            Files.write(dir.resolve(f), MirrorFixture.content("jammy", "amd64", "20250718", "generic", f));
        }
        URI url = MirrorLocation.toUri(mirror.root.toString());
        only(run(url, List.of("jammy"), List.of("amd64")), "jammy", "amd64", Outcome.UNCHANGED);
        assertFalse(Files.isSymbolicLink(dir));

        Files.write(dir.resolve("boot-kernel"), "old lab kernel".getBytes());
        only(run(url, List.of("jammy"), List.of("amd64")), "jammy", "amd64", Outcome.IMPORTED);
        assertTrue(Files.isSymbolicLink(dir));
        assertSet("jammy", "amd64", "20250718");
        assertNoLeftovers();
    }

    @Test
    void aRefusingCheckKeepsThePreviousSet() throws Exception {
        URI url = MirrorLocation.toUri(mirror.root.toString());
        run(url, List.of("jammy"), List.of("amd64"));
        List<Path> checked = new ArrayList<>();
        SimplestreamsImporter strict = new SimplestreamsImporter(ImporterOptions.defaults(), new ImportListener() {
            @Override
            public void check(String os, String arch, String release, Path staged) throws Exception {
                checked.add(staged);
                assertTrue(Files.isRegularFile(staged.resolve("boot-initrd")));
                throw new IOException("initramfs lacks squashfs support");
            }
        }, Clock.systemUTC());
        mirror.serials.add("20250903");
        mirror.present.add("20250903");
        mirror.write();
        ImportReport r = strict.importImages(url, Selection.ubuntu(List.of("jammy"), List.of("amd64")), dataDir);
        ProductReport p = only(r, "jammy", "amd64", Outcome.FAILED);
        assertTrue(p.reason().contains("initramfs lacks squashfs support"), p.reason());
        assertEquals(1, checked.size());
        assertFalse(Files.exists(checked.get(0)), "the refused set is removed");
        assertSet("jammy", "amd64", "20250718");
        assertNoLeftovers();
    }

    @Test
    void aSelectedReleaseTheMirrorLacksIsAbsent() throws Exception {
        ImportReport r = run(MirrorLocation.toUri(mirror.root.toString()), List.of("focal", "jammy"), List.of("amd64"));
        ProductReport p = only(r, "focal", "amd64", Outcome.ABSENT);
        assertTrue(p.reason().contains("ubuntu/amd64/focal"), p.reason());
        only(r, "jammy", "amd64", Outcome.IMPORTED);
        assertFalse(r.complete());
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
