package io.metalcast.curtin.image;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * What a streamed tar listing keeps of a root filesystem: every symlink (to resolve paths like {@code /bin ->
 * usr/bin}), and only those files and directories whose names matter to inspection, with the content of small
 * os-release files. Memory stays small however many files the archive holds.
 */
final class TarRoot implements RootFs {
    private static final int MAX_SYMLINKS = 40;
    private static final String[] INTERESTING = {"cloud-init", "netplan", "os-release", "curtin"};

    private final Map<String, String> symlinks = new HashMap<>();
    private final Map<String, String> hardlinks = new HashMap<>();
    private final Set<String> files = new HashSet<>();
    private final Set<String> dirs = new HashSet<>();
    private final LongSet allFiles = new LongSet();
    private final LongSet allDirs = new LongSet();
    private final Map<String, byte[]> contents = new HashMap<>();
    private boolean looksLikeRoot;

    /** Normalises a member name to an absolute path without {@code ./} or trailing slash. */
    static String normalise(String name) {
        Deque<String> out = new ArrayDeque<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                out.pollLast();
            } else {
                out.addLast(p);
            }
        }
        return "/" + String.join("/", out);
    }

    /** Whether the entry's content should be handed to {@link #content}. */
    boolean add(TarArchiveEntry e) {
        String path = normalise(e.getName());
        if (path.startsWith("/etc/") || path.startsWith("/usr/") || path.equals("/etc") || path.equals("/usr")) {
            looksLikeRoot = true;
        }
        if (e.isSymbolicLink()) {
            symlinks.put(path, e.getLinkName());
            return false;
        }
        if (e.isDirectory()) {
            allDirs.add(hash(path));
        } else if (e.isFile() || e.isLink()) {
            allFiles.add(hash(e.isLink() ? normalise(e.getLinkName()) : path));
            if (e.isLink()) {
                allFiles.add(hash(path));
            }
        }
        if (!interesting(path)) {
            return false;
        }
        for (String p = parent(path); !p.equals("/"); p = parent(p)) {
            dirs.add(p);
        }
        if (e.isDirectory()) {
            dirs.add(path);
        } else if (e.isLink()) {
            hardlinks.put(path, normalise(e.getLinkName()));
        } else if (e.isFile()) {
            files.add(path);
            return path.endsWith("os-release") && e.getSize() <= 65536;
        }
        return false;
    }

    void content(String name, byte[] data) {
        contents.put(normalise(name), data);
    }

    boolean looksLikeRoot() {
        return looksLikeRoot;
    }

    private static boolean interesting(String path) {
        for (String s : INTERESTING) {
            if (path.contains(s)) {
                return true;
            }
        }
        return false;
    }

    private static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    /** The path with every symlink in it followed, or empty for a loop. */
    private Optional<String> canonical(String path) {
        Deque<String> todo = new ArrayDeque<>();
        pushAll(todo, path);
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.equals("..")) {
                done.pollLast();
                continue;
            }
            done.addLast(part);
            String target = symlinks.get("/" + String.join("/", done));
            if (target != null) {
                if (++links > MAX_SYMLINKS) {
                    return Optional.empty();
                }
                done.pollLast();
                if (target.startsWith("/")) {
                    done.clear();
                }
                pushAll(todo, target);
            }
        }
        String p = "/" + String.join("/", done);
        String h = hardlinks.get(p);
        return Optional.of(h != null ? h : p);
    }

    private static void pushAll(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty() && !parts[i].equals(".")) {
                todo.push(parts[i]);
            }
        }
    }

    @Override
    public boolean isFile(String path) {
        return canonical(path).map(p -> files.contains(p) || allFiles.contains(hash(p))).orElse(false);
    }

    @Override
    public boolean isDir(String path) {
        return canonical(path).map(p -> p.equals("/") || dirs.contains(p) || allDirs.contains(hash(p))).orElse(false);
    }

    /** 64-bit FNV-1a of the path: every file and directory is remembered as one long, not as a string. */
    private static long hash(String path) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < path.length(); i++) {
            h ^= path.charAt(i);
            h *= 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }

    /** An open-addressing set of non-zero longs. */
    private static final class LongSet {
        private long[] slots = new long[1024];
        private int size;

        void add(long v) {
            if (size * 2 >= slots.length) {
                long[] old = slots;
                slots = new long[old.length * 2];
                size = 0;
                for (long o : old) {
                    if (o != 0) {
                        add(o);
                    }
                }
            }
            int mask = slots.length - 1;
            for (int i = (int) (v ^ (v >>> 32)) & mask; ; i = (i + 1) & mask) {
                if (slots[i] == v) {
                    return;
                }
                if (slots[i] == 0) {
                    slots[i] = v;
                    size++;
                    return;
                }
            }
        }

        boolean contains(long v) {
            int mask = slots.length - 1;
            for (int i = (int) (v ^ (v >>> 32)) & mask; ; i = (i + 1) & mask) {
                if (slots[i] == v) {
                    return true;
                }
                if (slots[i] == 0) {
                    return false;
                }
            }
        }
    }

    @Override
    public Optional<byte[]> read(String path, int max) {
        return canonical(path).map(contents::get).map(b -> b.length > max ? java.util.Arrays.copyOf(b, max) : b);
    }
}
