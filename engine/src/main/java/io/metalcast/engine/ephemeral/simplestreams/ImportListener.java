package io.metalcast.engine.ephemeral.simplestreams;

import java.nio.file.Path;

/**
 * The seam for checks and notifications around each imported set (e.g. the curtin module's initramfs scanner, the
 * boot-resource listing). Called on the importing thread.
 */
public interface ImportListener {
    /** A listener that accepts everything and wants no notice. */
    static ImportListener none() {
        return new ImportListener() {
        };
    }

    /**
     * Called with the new set complete and verified in its own directory ({@code boot-kernel}, {@code boot-initrd},
     * {@code squashfs}, {@code .imported.json}), before it replaces the previous one. Throwing refuses the set: the
     * product is reported FAILED with the exception's message and the previous set stays in place.
     */
    default void check(String os, String arch, String release, Path stagedDir) throws Exception {
    }

    /** Called once the new set is in place at {@code dir} = {@code data_dir/ephemeral/<os>/<arch>/<release>}. */
    default void imported(String os, String arch, String release, Path dir) {
    }
}
