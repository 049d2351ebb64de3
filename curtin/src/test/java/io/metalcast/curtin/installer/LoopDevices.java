package io.metalcast.curtin.installer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The loop devices one test attached; {@link #close()} (from the test's {@code @AfterEach}) detaches them. */
final class LoopDevices implements AutoCloseable {
    private final Commands commands;
    private final List<String> attached = new ArrayList<>();

    LoopDevices(Commands commands) {
        this.commands = commands;
    }

    /** Attaches {@code backing} to a free loop device (needs root); returns its path, such as {@code /dev/loop3}. */
    String attach(Path backing) throws Exception {
        String loop = commands.run(List.of("losetup", "-f", "--show", backing.toString()));
        attached.add(loop);
        return loop;
    }

    @Override
    public void close() throws Exception {
        for (String loop : attached) {
            commands.run(List.of("losetup", "-d", loop));
        }
        attached.clear();
    }
}
