package io.metalcast.engine.ephemeral.simplestreams;

import io.metalcast.engine.ephemeral.simplestreams.SimplestreamsException.Kind;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a mirror lives: its root (every {@code path} in its JSON is relative to it, always ending in {@code /}) and the
 * entry file, relative to the root. A configured URL ending in {@code streams/v1/<name>.json} or {@code .sjson} names
 * the entry file and the root is what precedes it; any other URL is the root, with {@code streams/v1/index.json} as entry.
 *
 * @param root       {@code http}, {@code https} or {@code file} URI ending in {@code /}
 * @param entry      the entry file relative to the root, e.g. {@code streams/v1/index.json}
 * @param entryNamed whether the configured URL named the entry file itself
 */
public record MirrorLocation(URI root, String entry, boolean entryNamed) {
    /** The default entry file under a root. */
    public static final String INDEX = "streams/v1/index.json";
    /** The signed twin of {@link #INDEX}. */
    public static final String SIGNED_INDEX = "streams/v1/index.sjson";

    private static final Pattern NAMED = Pattern.compile("^(.*/)?(streams/v1/[^/]+\\.s?json)$");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*");

    public MirrorLocation {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(entry, "entry");
        if (!root.getRawPath().endsWith("/")) {
            throw new IllegalArgumentException("root: " + root + " (expected: a URI ending in /)");
        }
        MirrorPaths.check(entry);
    }

    /**
     * Reads a configured mirror: an {@code http://}, {@code https://} or {@code file:} URL, the root or one naming
     * {@code streams/v1/<name>.(s)json}. Resolving against a root without a trailing slash would drop its last
     * segment, so one is added.
     */
    public static MirrorLocation of(URI uri) throws SimplestreamsException {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new SimplestreamsException(Kind.BAD_LOCATION, "mirror: " + uri + " (expected: an http, https or file URL, or a directory)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.isOpaque()) {
            throw new SimplestreamsException(Kind.BAD_LOCATION, "mirror: " + uri + " (expected: no query and no fragment)");
        }
        if (!scheme.equals("file") && (uri.getHost() == null || uri.getHost().isEmpty())) {
            throw new SimplestreamsException(Kind.BAD_LOCATION, "mirror: " + uri + " (expected: a host)");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        Matcher m = NAMED.matcher(path);
        String rootPath;
        String entry;
        boolean named;
        if (m.matches()) {
            rootPath = m.group(1) == null ? "/" : m.group(1);
            entry = decode(m.group(2));
            named = true;
        } else {
            rootPath = path.endsWith("/") ? path : path + "/";
            entry = INDEX;
            named = false;
        }
        try {
            URI root = new URI(scheme + "://" + (uri.getRawAuthority() == null ? "" : uri.getRawAuthority()) + rootPath);
            return new MirrorLocation(root, entry, named);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new SimplestreamsException(Kind.BAD_LOCATION, "mirror: " + uri + " (expected: a usable URL)", e);
        }
    }

    /** A command-line or API argument: a URL with a scheme, or else a local directory (or entry file) path. */
    public static URI toUri(String argument) {
        Objects.requireNonNull(argument, "argument");
        if (SCHEME.matcher(argument).matches() || argument.startsWith("file:")) {
            return URI.create(argument);
        }
        return Path.of(argument).toAbsolutePath().normalize().toUri();
    }

    public boolean isLocal() {
        return root.getScheme().equalsIgnoreCase("file");
    }

    /** The local root directory; only for {@link #isLocal()} mirrors. */
    public Path localRoot() {
        if (!isLocal()) {
            throw new IllegalStateException("not a local mirror: " + root);
        }
        return Path.of(root);
    }

    /** The URL of a path relative to the root (validated by {@link MirrorPaths#check}). */
    public URI resolve(String relative) {
        MirrorPaths.check(relative);
        return URI.create(root.toString() + MirrorPaths.encode(relative));
    }

    private static String decode(String raw) {
        return java.net.URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
