package io.metalcast.curtin.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What {@link ImageInspector} found in an uploaded image. The findings here are about the content alone (filetype
 * mismatch, damage, unreadable filesystems); {@link #verdict(String)} adds the rules that depend on the base image.
 *
 * @param declared        the filetype the upload was sent with
 * @param compression     the compression actually found
 * @param container       what the decompressed content is
 * @param content         the content in words, e.g. {@code gzip-compressed raw disk image}
 * @param contentBytes    decompressed size of the disk image or archive, -1 when not read to its end
 * @param partitionScheme {@code gpt}, {@code dos} or {@code none}
 * @param partitions      partitions seen, with the filesystem found in each
 * @param rootPartition   number of the partition holding the root filesystem; 0 when the root is the whole content
 *                        (a tar or a bare filesystem); -1 when no root filesystem was found
 * @param rootFound       whether a root filesystem was read, i.e. whether the flags below mean anything
 * @param cloudInit       {@code /usr/bin/cloud-init} exists
 * @param netplan         {@code /usr/sbin/netplan} (or another netplan entry point) exists
 * @param curtinHooks     {@code /curtin/curtin-hooks} exists
 * @param curtinDir       {@code /curtin} exists
 * @param osRelease       the root's os-release, or null when it has none
 * @param findings        problems with the content
 */
public record Inspection(ImageFiletype declared, Compression compression, Container container, String content,
                         long contentBytes, String partitionScheme, List<PartitionInfo> partitions, int rootPartition,
                         boolean rootFound, boolean cloudInit, boolean netplan, boolean curtinHooks, boolean curtinDir,
                         OsRelease osRelease, List<Finding> findings) {

    public Inspection {
        Objects.requireNonNull(declared, "declared");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(partitionScheme, "partitionScheme");
        partitions = List.copyOf(partitions);
        findings = List.copyOf(findings);
        if (rootPartition < -1) {
            throw new IllegalArgumentException("rootPartition: " + rootPartition + " (expected: >= -1)");
        }
    }

    /**
     * A partition and the filesystem in it.
     *
     * @param filesystem {@code ext4}, {@code ext3}, {@code ext2}, {@code xfs}, {@code btrfs}, {@code vfat},
     *                   {@code swap}, {@code LVM2_member}, {@code crypto_LUKS}, {@code squashfs}, {@code ntfs},
     *                   {@code iso9660}, {@code none} (unrecognised) or {@code unread} (past a truncated end)
     */
    public record PartitionInfo(int number, long offset, long length, String type, String filesystem) {
        public PartitionInfo {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(filesystem, "filesystem");
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("number", number);
            m.put("offset", offset);
            m.put("length", length);
            m.put("type", type);
            m.put("filesystem", filesystem);
            return m;
        }
    }

    /** The fields of os-release that matter here; absent fields are empty strings. */
    public record OsRelease(String id, String versionId, String versionCodename, String prettyName) {
        public OsRelease {
            id = id == null ? "" : id;
            versionId = versionId == null ? "" : versionId;
            versionCodename = versionCodename == null ? "" : versionCodename;
            prettyName = prettyName == null ? "" : prettyName;
        }

        /** Parses os-release text ({@code KEY=value}, values optionally quoted). */
        public static OsRelease parse(String text) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                line = line.strip();
                int eq = line.indexOf('=');
                if (line.startsWith("#") || eq <= 0) {
                    continue;
                }
                String v = line.substring(eq + 1).strip();
                if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
                    v = v.substring(1, v.length() - 1);
                }
                kv.put(line.substring(0, eq).strip(), v.replace("\\\"", "\"").replace("\\\\", "\\"));
            }
            String codename = kv.getOrDefault("VERSION_CODENAME", kv.get("UBUNTU_CODENAME"));
            return new OsRelease(kv.get("ID"), kv.get("VERSION_ID"), codename, kv.get("PRETTY_NAME"));
        }

        /** e.g. {@code ubuntu 22.04 (jammy)}. */
        public String describe() {
            return (id.isEmpty() ? "unknown" : id) + (versionId.isEmpty() ? "" : " " + versionId)
                    + (versionCodename.isEmpty() ? "" : " (" + versionCodename + ")");
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("version_id", versionId);
            m.put("version_codename", versionCodename);
            m.put("pretty_name", prettyName);
            return m;
        }
    }

    /**
     * Whether the upload is accepted, and all findings that led there.
     *
     * @param accepted no finding refuses it
     * @param findings the content findings followed by those of the base-image rules
     */
    public record Verdict(boolean accepted, List<Finding> findings) {
        public Verdict {
            findings = List.copyOf(findings);
        }

        /** The refusing messages joined with "; ", empty when accepted. */
        public String errorMessage() {
            return findings.stream().filter(Finding::refuses).map(Finding::message).collect(Collectors.joining("; "));
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accepted", accepted);
            m.put("findings", findings.stream().map(Finding::toMap).toList());
            return m;
        }
    }

    public boolean hasErrors() {
        return findings.stream().anyMatch(Finding::refuses);
    }

    /**
     * Applies the upload rules for {@code baseImage} ({@code ubuntu/jammy}, {@code centos/8}; null or blank when the
     * upload named none, then the root's os-release decides whether Ubuntu rules apply): an Ubuntu base needs
     * cloud-init, netplan and an os-release naming the same release; any other base needs cloud-init. A filetype that
     * does not match the content refuses in every case. When no root filesystem could be read, the content rules are
     * not applied and a warning says so.
     */
    public Verdict verdict(String baseImage) {
        List<Finding> out = new ArrayList<>(findings);
        String os = "";
        String series = "";
        if (baseImage != null && !baseImage.isBlank()) {
            String b = baseImage.strip().toLowerCase(Locale.ROOT);
            int slash = b.indexOf('/');
            os = slash < 0 ? b : b.substring(0, slash);
            series = slash < 0 ? "" : b.substring(slash + 1);
        }
        boolean ubuntu = os.equals("ubuntu") || (os.isEmpty() && osRelease != null && osRelease.id().equals("ubuntu"));
        if (rootFound) {
            String where = osRelease == null ? "the image" : "the image (" + osRelease.describe() + ")";
            if (!cloudInit) {
                out.add(Finding.error(Finding.Kind.MISSING_CLOUD_INIT, where + " has no /usr/bin/cloud-init: MAAS"
                        + " configures deployed machines through cloud-init; install the cloud-init package in the image"
                        + " and upload it again"));
            }
            if (ubuntu && !netplan) {
                out.add(Finding.error(Finding.Kind.MISSING_NETPLAN, where + " has no netplan (/usr/sbin/netplan):"
                        + " an Ubuntu image gets its network configuration through netplan; install netplan.io in the"
                        + " image and upload it again"));
            }
            if (osRelease == null) {
                out.add(Finding.warning(Finding.Kind.NO_OS_RELEASE, "the image has no /etc/os-release, so its release"
                        + (os.isEmpty() ? "" : " could not be compared with base_image " + baseImage.strip())));
            } else if (!os.isEmpty()) {
                String rel = osRelease.describe();
                boolean sameOs = osRelease.id().equals(os) || (os.equals("rhel") && osRelease.id().equals("redhat"));
                if (ubuntu) {
                    boolean sameSeries = series.isEmpty() || series.equals(osRelease.versionCodename())
                            || series.equals(osRelease.versionId());
                    if (!sameOs || !sameSeries) {
                        String suggest = osRelease.id().equals("ubuntu") && !osRelease.versionCodename().isEmpty()
                                ? "send base_image=ubuntu/" + osRelease.versionCodename()
                                : "upload an Ubuntu " + series + " image or name the base it really has";
                        out.add(Finding.error(Finding.Kind.RELEASE_MISMATCH, "os-release in the image says " + rel
                                + " but base_image is " + baseImage.strip() + ": " + suggest));
                    }
                } else if (!sameOs || (!series.isEmpty() && !osRelease.versionId().isEmpty()
                        && !osRelease.versionId().equals(series) && !osRelease.versionId().startsWith(series + "."))) {
                    out.add(Finding.warning(Finding.Kind.RELEASE_MISMATCH, "os-release in the image says " + rel
                            + " but base_image is " + baseImage.strip()));
                }
            }
        } else if (!hasErrors()) {
            out.add(Finding.warning(Finding.Kind.NO_ROOT_FILESYSTEM, "no readable root filesystem was found, so"
                    + " cloud-init" + (ubuntu ? ", netplan" : "") + " and the release were not checked"));
        }
        return new Verdict(out.stream().noneMatch(Finding::refuses), out);
    }

    /** A JSON-friendly tree (maps, lists, strings, numbers, booleans; no nulls) to show on the resource. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("declared_filetype", declared.uploadName());
        m.put("compression", compression.name().toLowerCase(Locale.ROOT));
        m.put("container", container.name().toLowerCase(Locale.ROOT));
        m.put("content", content);
        m.put("content_bytes", contentBytes);
        m.put("partition_scheme", partitionScheme);
        m.put("partitions", partitions.stream().map(PartitionInfo::toMap).toList());
        m.put("root_partition", rootPartition);
        m.put("root_found", rootFound);
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("cloud_init", cloudInit);
        found.put("netplan", netplan);
        found.put("curtin_hooks", curtinHooks);
        found.put("curtin_dir", curtinDir);
        m.put("found", found);
        if (osRelease != null) {
            m.put("os_release", osRelease.toMap());
        }
        m.put("findings", findings.stream().map(Finding::toMap).toList());
        return m;
    }
}
