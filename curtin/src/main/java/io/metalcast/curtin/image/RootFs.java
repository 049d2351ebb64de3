package io.metalcast.curtin.image;

import java.io.IOException;
import java.util.Optional;

/** The few questions inspection asks of a root filesystem, whether it sits in a disk image or a tar archive. */
interface RootFs {
    /** Whether {@code path} names a regular file, following symlinks. */
    boolean isFile(String path) throws IOException;

    /** Whether {@code path} names a directory, following symlinks. */
    boolean isDir(String path) throws IOException;

    /** Up to {@code max} bytes of the regular file {@code path}, following symlinks; empty when there is none. */
    Optional<byte[]> read(String path, int max) throws IOException;

    static RootFs of(Ext4Reader fs) {
        return new RootFs() {
            @Override
            public boolean isFile(String path) throws IOException {
                return fs.resolve(path).map(Ext4Reader.Inode::isRegular).orElse(false);
            }

            @Override
            public boolean isDir(String path) throws IOException {
                return fs.resolve(path).map(Ext4Reader.Inode::isDir).orElse(false);
            }

            @Override
            public Optional<byte[]> read(String path, int max) throws IOException {
                Optional<Ext4Reader.Inode> i = fs.resolve(path);
                return i.isPresent() && i.get().isRegular() ? Optional.of(fs.read(i.get(), max)) : Optional.empty();
            }
        };
    }
}
