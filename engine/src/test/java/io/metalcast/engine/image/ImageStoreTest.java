package io.metalcast.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metalcast.curtin.image.Sha256;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {

    @Test
    void storesByContentAndKeepsOneCopy(@TempDir Path dir) throws Exception {
        ImageStore store = new ImageStore(dir);
        byte[] data = new byte[3 * 1024 * 1024 + 5];
        new Random(7).nextBytes(data);
        String sha = Sha256.of(data);

        StoredFile a = store.put(new ByteArrayInputStream(data));
        assertEquals(new StoredFile(sha, data.length), a);
        assertArrayEquals(data, Files.readAllBytes(store.path(sha)));

        Path temp = Files.createTempFile(store.tmpDir(), "x", ".part");
        Files.write(temp, data);
        StoredFile b = store.put(temp);
        assertEquals(a, b);
        assertFalse(Files.exists(temp), "temporary file consumed");
        try (Stream<Path> files = Files.list(dir.resolve("files")); Stream<Path> tmp = Files.list(store.tmpDir())) {
            assertEquals(List.of(store.path(sha)), files.toList());
            assertEquals(List.of(), tmp.toList());
        }
    }

    @Test
    void emptyContentHasTheEmptyHash(@TempDir Path dir) throws Exception {
        StoredFile f = new ImageStore(dir).put(new ByteArrayInputStream(new byte[0]));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", f.sha256());
        assertEquals(0, f.size());
    }

    @Test
    void pathsOnlyForHashes(@TempDir Path dir) {
        ImageStore store = new ImageStore(dir);
        assertThrows(IllegalArgumentException.class, () -> store.path("../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> store.path("ABC"));
    }
}
