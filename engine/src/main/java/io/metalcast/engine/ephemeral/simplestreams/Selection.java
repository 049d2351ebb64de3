package io.metalcast.engine.ephemeral.simplestreams;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to import: one os ({@code ubuntu}), its releases ({@code jammy}, {@code noble}) and architectures ({@code amd64}).
 * Names must fit the ephemeral catalog's directory segments.
 */
public record Selection(String os, List<String> releases, List<String> arches) {
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public Selection {
        check("os", Objects.requireNonNull(os, "os"));
        releases = List.copyOf(Objects.requireNonNull(releases, "releases"));
        arches = List.copyOf(Objects.requireNonNull(arches, "arches"));
        if (releases.isEmpty()) {
            throw new IllegalArgumentException("releases: [] (expected: at least one release, e.g. jammy)");
        }
        if (arches.isEmpty()) {
            throw new IllegalArgumentException("arches: [] (expected: at least one architecture, e.g. amd64)");
        }
        releases.forEach(r -> check("releases", r));
        arches.forEach(a -> check("arches", a));
    }

    public static Selection ubuntu(List<String> releases, List<String> arches) {
        return new Selection("ubuntu", releases, arches);
    }

    public boolean selects(String os, String arch, String release) {
        return this.os.equals(os) && arches.contains(arch) && releases.contains(release);
    }

    static boolean safe(String segment) {
        return segment != null && SEGMENT.matcher(segment).matches();
    }

    private static void check(String what, String value) {
        if (!safe(value)) {
            throw new IllegalArgumentException(what + ": '" + value + "' (expected: " + SEGMENT.pattern() + ")");
        }
    }
}
