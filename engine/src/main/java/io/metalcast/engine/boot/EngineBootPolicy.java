package io.metalcast.engine.boot;

import io.metalcast.curtin.image.ImageFiletype;
import io.metalcast.engine.config.Urls;
import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.image.DeployableImage;
import io.metalcast.engine.image.EphemeralCatalog;
import io.metalcast.engine.image.EphemeralChoice;
import io.metalcast.engine.image.EphemeralImage;
import io.metalcast.engine.image.ImageStore;
import io.metalcast.engine.image.RawViews;
import io.metalcast.engine.machine.Machine;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.engine.machine.Machines;
import io.metalcast.pxe.boot.BootClient;
import io.metalcast.pxe.boot.BootContent;
import io.metalcast.pxe.boot.BootFileRequest;
import io.metalcast.pxe.boot.BootPolicy;
import io.metalcast.pxe.boot.ClientArch;
import io.metalcast.pxe.boot.DhcpBoot;
import io.metalcast.pxe.boot.MacAddress;
import java.net.Inet4Address;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot policy of the engine: enlists unknown machines, chains every client into iPXE, and hands each machine a
 * script by its state. Only published content can be opened: the iPXE binaries, the per-machine scripts, ephemeral
 * images and complete uploaded images. Blocking (database, disk).
 */
public final class EngineBootPolicy implements BootPolicy {
    private static final Logger log = LoggerFactory.getLogger(EngineBootPolicy.class);
    /** What may be interpolated into an iPXE script (P2): no spaces, quotes, ';', '$', '{' or newlines. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:/-]+");
    private static final String SCRIPT = "text/plain; charset=utf-8";
    private static final String BINARY = "application/octet-stream";
    private static final String BMAP = "application/xml";
    /** The last segment of an uploaded image's URL: its filetype's stored name ({@code root-dd.raw}). */
    private static final Set<String> STORED_NAMES = Arrays.stream(ImageFiletype.values()).map(ImageFiletype::storedName)
            .collect(Collectors.toUnmodifiableSet());
    /** {@code <stored name>.raw} of the filetypes with a raw view ({@code root-dd.gz.raw}...). */
    private static final Set<String> RAW_VIEW_NAMES = Arrays.stream(ImageFiletype.values()).filter(RawViews::applies)
            .map(t -> t.storedName() + ImageStore.RAW_VIEW_SUFFIX).collect(Collectors.toUnmodifiableSet());
    static final String BIOS_LOADER = "undionly.kpxe";
    static final String UEFI_LOADER = "ipxe.efi";

    private final Machines machines;
    private final BootResources resources;
    private final EphemeralCatalog ephemerals;
    private final EphemeralChoice choice;
    private final Supplier<Urls> urls;
    private final Inet4Address advertise;
    private final Path ipxeDir;
    private final String kernelOptions;

    public EngineBootPolicy(Machines machines, BootResources resources, EphemeralCatalog ephemerals, Supplier<Urls> urls, Inet4Address advertise,
                            Path ipxeDir, String kernelOptions) {
        this(machines, resources, new EphemeralChoice(ephemerals, "ubuntu/jammy"), urls, advertise, ipxeDir, kernelOptions);
    }

    /** @param choice which ephemeral deploys an image: by its Ubuntu base, else the commissioning release */
    public EngineBootPolicy(Machines machines, BootResources resources, EphemeralChoice choice, Supplier<Urls> urls, Inet4Address advertise,
                            Path ipxeDir, String kernelOptions) {
        this.machines = machines;
        this.choice = choice;
        this.ephemerals = choice.catalog();
        this.resources = resources;
        this.urls = urls;
        this.advertise = advertise;
        this.ipxeDir = ipxeDir;
        this.kernelOptions = kernelOptions;
    }

    @Override
    public Optional<DhcpBoot> dhcpBoot(BootClient client) {
        String bootFile;
        if (client.ipxe()) {
            bootFile = urls.get().boot() + "/ipxe.cfg-" + client.mac();
        } else if (client.architecture().isEmpty()) {
            return Optional.empty();
        } else {
            ClientArch arch = client.architecture().get();
            switch (arch) {
                case BIOS_X86 -> bootFile = BIOS_LOADER;
                case UEFI_X86_64, UEFI_X86_64_ALT -> bootFile = UEFI_LOADER;
                case UEFI_X86_64_HTTP -> bootFile = urls.get().boot() + "/" + UEFI_LOADER;
                default -> {
                    return Optional.empty();
                }
            }
        }
        Machine m = machines.enlist(client.mac(), client.architecture());
        String hostname = SAFE.matcher(m.hostname()).matches() ? m.hostname() : "";
        return Optional.of(new DhcpBoot(bootFile, advertise, hostname));
    }

    @Override
    public Optional<BootContent> open(BootFileRequest request) {
        String path = request.path();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (path.equals(BIOS_LOADER) || path.equals(UEFI_LOADER)) {
            return loader(ipxeDir.resolve(path));
        }
        if (path.equals("ipxe.cfg")) {
            return Optional.of(BootContent.Generated.text("#!ipxe\nchain --replace --autofree " + urls.get().boot() + "/ipxe.cfg-${mac}\n", SCRIPT));
        }
        if (path.startsWith("ipxe.cfg-")) {
            MacAddress mac;
            try {
                mac = MacAddress.parse(path.substring("ipxe.cfg-".length()));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            return machineScript(mac).map(s -> BootContent.Generated.text(s, SCRIPT));
        }
        String[] seg = path.split("/", -1);
        if (seg.length == 5 && seg[0].equals("ephemeral")) {
            Optional<EphemeralImage> e = ephemerals.find(seg[1], seg[2], seg[3]);
            if (e.isEmpty()) {
                return Optional.empty();
            }
            // By real path: an imported release directory is a symlink into .sets that an import may swap; the file
            // served is then the one of the set in place when it was asked for.
            return switch (seg[4]) {
                case EphemeralCatalog.KERNEL -> loader(e.get().kernel());
                case EphemeralCatalog.INITRD -> loader(e.get().initrd());
                case EphemeralCatalog.SQUASHFS -> loader(e.get().squashfs());
                default -> Optional.empty();
            };
        }
        // images/<sha16>/<os>/<arch>/<subarch>/<series>/uploaded/<stored name>[.bmap|.raw|.raw.bmap], as CurtinConfigs names them
        if (seg.length == 8 && seg[0].equals("images") && seg[6].equals("uploaded")) {
            String last = seg[7];
            // A ddtgz's stored name (root-dd) with .raw is a ddraw's stored name: the view goes first when the file has
            // one (a raw image never has one), else the name means the file, as before.
            if (RAW_VIEW_NAMES.contains(last)) {
                Optional<Path> view = resources.publishedRawView(seg[1]);
                if (view.isPresent()) {
                    return onDisk(view.get(), BINARY);
                }
            }
            if (last.endsWith(ImageStore.BLOCK_MAP_SUFFIX)
                    && RAW_VIEW_NAMES.contains(last.substring(0, last.length() - ImageStore.BLOCK_MAP_SUFFIX.length()))) {
                Optional<Path> viewMap = resources.publishedRawViewMap(seg[1]);
                if (viewMap.isPresent()) {
                    return onDisk(viewMap.get(), BMAP);
                }
            }
            if (STORED_NAMES.contains(last)) {
                return resources.published(seg[1]).flatMap(p -> onDisk(p, BINARY));
            }
            if (last.equals(ImageFiletype.DDRAW.storedName() + ImageStore.BLOCK_MAP_SUFFIX)) {
                return resources.publishedBlockMap(seg[1]).flatMap(p -> onDisk(p, BMAP));
            }
        }
        return Optional.empty();
    }

    /** The per-machine script: by state; empty for an unknown MAC (it has not sent a DHCP request through us). */
    Optional<String> machineScript(MacAddress mac) {
        Optional<Machine> found = machines.byMac(mac);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Machine m = found.get();
        if (!SAFE.matcher(m.hostname()).matches() || !SAFE.matcher(m.systemId()).matches()) {
            log.warn("machine {} has a name not safe for a boot script; refusing its script", m.systemId());
            return Optional.empty();
        }
        String self = urls.get().boot() + "/ipxe.cfg-" + mac;
        if (m.status() == MachineStatus.DEPLOYED) {
            return Optional.of("#!ipxe\necho metalcast: " + m.hostname() + " (" + m.systemId() + ") is Deployed; booting from the local disk\nexit\n");
        }
        if (m.status() == MachineStatus.DEPLOYING) {
            Optional<String> s = deployScript(m, mac);
            if (s.isPresent()) {
                machines.touch(m.systemId());
                return s;
            }
        }
        return Optional.of("#!ipxe\n"
                + "echo metalcast: " + m.hostname() + " (" + m.systemId() + ") is " + m.status().displayName() + "; waiting for a deploy request\n"
                + "sleep 5 || prompt --timeout 5000 waiting... ||\n"
                + "chain --replace --autofree " + self + "\n");
    }

    private Optional<String> deployScript(Machine m, MacAddress mac) {
        Optional<DeployableImage> image = resources.deployable(m.imageName(), m.arch());
        if (image.isEmpty()) {
            log.warn("machine {} is Deploying {} but that image is gone", m.systemId(), m.imageName());
            return Optional.empty();
        }
        Optional<EphemeralImage> eph = choice.find(image.get().resource().baseImage(), m.arch());
        if (eph.isEmpty()) {
            log.warn("machine {} is Deploying but no ephemeral for {} {}", m.systemId(),
                    choice.neededFor(image.get().resource().baseImage()), m.arch());
            return Optional.empty();
        }
        String token = m.row().tokenKey();
        if (!SAFE.matcher(token).matches()) {
            return Optional.empty();
        }
        String base = urls.get().boot() + "/ephemeral/" + eph.get().path() + "/";
        String preseed = urls.get().api() + "/MAAS/metadata/latest/by-id/" + m.systemId() + "/" + token + "/?op=get_preseed";
        String options = kernelOptions.isEmpty() ? "" : " " + kernelOptions;
        return Optional.of("#!ipxe\n"
                + "kernel " + base + EphemeralCatalog.KERNEL + " initrd=" + EphemeralCatalog.INITRD + " nomodeset root=squash:" + base
                + EphemeralCatalog.SQUASHFS + " ip=::::" + m.hostname() + ":BOOTIF ip6=off cloud-config-url=" + preseed
                + " overlayroot=tmpfs" + options + " BOOTIF=01-" + mac.hyphenated() + "\n"
                + "initrd " + base + EphemeralCatalog.INITRD + "\n"
                + "boot\n");
    }

    /**
     * A file published by its real path (a loader from the operator's {@code boot.ipxe_dir}, an ephemeral file): distributions link them elsewhere
     * (Debian's {@code /usr/lib/ipxe/ipxe.efi} points into {@code /boot}), and the servers refuse symlinks that leave
     * their directory.
     */
    private static Optional<BootContent> loader(Path file) {
        try {
            return onDisk(file.toRealPath(), BINARY);
        } catch (IOException missing) {
            return Optional.empty();
        }
    }

    private static Optional<BootContent> onDisk(Path file, String contentType) {
        return Files.isRegularFile(file) ? Optional.of(new BootContent.OnDisk(file, contentType)) : Optional.empty();
    }
}
