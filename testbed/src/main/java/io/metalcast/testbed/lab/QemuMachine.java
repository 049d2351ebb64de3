package io.metalcast.testbed.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One virtual machine of the lab: SeaBIOS with the iPXE ROM of Debian's ipxe-qemu on a virtio-net NIC (boot order 1),
 * and a virtio-blk disk (boot order 2), its serial console written to a file. TCG unless KVM is asked for: a
 * {@code /dev/kvm} can be present and still fail (nested virtualisation), and CI has none.
 * Stopped by PID on close.
 */
public final class QemuMachine implements AutoCloseable {
    /** How the machine's firmware network-boots. */
    public enum Firmware {
        /** SeaBIOS; the NIC's option ROM is Debian's iPXE, which asks DHCP as an iPXE client. */
        BIOS_IPXE_ROM,
        /** OVMF with the NIC's option ROM off: UEFI's own PXE (arch 7), which must be handed ipxe.efi over TFTP. */
        UEFI_FIRMWARE_PXE
    }

    static final Path OVMF_CODE = Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd");
    static final Path OVMF_VARS = Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd");

    private final String name;
    private final String mac;
    private final Path dir;
    private final SerialConsole console;
    private final boolean kvm;
    private int cpus = 1;
    private Process process;

    private QemuMachine(String name, String mac, Path dir, boolean kvm) {
        this.name = name;
        this.mac = mac;
        this.dir = dir;
        this.kvm = kvm;
        this.console = new SerialConsole(dir.resolve("console.log"));
    }


    /** Creates the machine's empty disk (sparse qcow2) in {@code dir}; does not start it. */
    public static QemuMachine create(String name, String mac, Path dir, long diskBytes, boolean kvm)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("console.log"));
        Processes.run("qemu-img", "create", "-q", "-f", "qcow2", dir.resolve("disk.qcow2").toString(), String.valueOf(diskBytes));
        return new QemuMachine(name, mac, dir, kvm);
    }

    /** Powers the machine on, inside the lab's namespace, on the given tap. */
    public void start(LabNetwork network, String tap) throws IOException {
        start(network, tap, Firmware.BIOS_IPXE_ROM);
    }

    /** Powers the machine on with the given firmware. */
    public void start(LabNetwork network, String tap, Firmware firmware) throws IOException {
        launch(network, command(tap, firmware));
    }

    /**
     * Powers the machine on straight into a kernel and initramfs (QEMU loads them; no firmware network boot), for
     * measurements inside the ephemeral environment.
     */
    public void startKernel(LabNetwork network, String tap, Path kernel, Path initrd, String cmdline) throws IOException {
        List<String> cmd = command(tap, Firmware.BIOS_IPXE_ROM);
        cmd.addAll(List.of("-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", cmdline));
        launch(network, cmd);
    }

    private void launch(LabNetwork network, List<String> cmd) throws IOException {
        process = new ProcessBuilder(network.exec(cmd))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
    }

    private List<String> command(String tap, Firmware firmware) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                "qemu-system-x86_64", "-name", name,
                "-machine", "q35,accel=" + (kvm ? "kvm" : "tcg"), "-cpu", kvm ? "host" : "max", "-m", "1024", "-smp", String.valueOf(cpus),
                "-display", "none", "-monitor", "none", "-vga", "none",
                "-serial", "file:" + console.file(),
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",bootindex=1"
                        + (firmware == Firmware.UEFI_FIRMWARE_PXE ? ",romfile=" : ""),
                "-drive", "file=" + dir.resolve("disk.qcow2") + ",if=none,id=d0,format=qcow2,cache=unsafe,discard=unmap",
                "-device", "virtio-blk-pci,drive=d0,bootindex=2"));
        if (firmware == Firmware.UEFI_FIRMWARE_PXE) {
            // OVMF ignores -boot n: the NIC's bootindex decides. Each machine gets its own copy of the variable store.
            Path vars = dir.resolve("OVMF_VARS.fd");
            Files.copy(OVMF_VARS, vars, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            cmd.addAll(List.of("-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                    "-drive", "if=pflash,format=raw,file=" + vars));
        }
        return cmd;
    }

    /** Virtual CPUs (before start); under TCG each is a host thread. */
    public QemuMachine withCpus(int count) {
        if (count < 1 || count > 8) {
            throw new IllegalArgumentException("cpus: " + count + " (expected: 1..8)");
        }
        cpus = count;
        return this;
    }

    public SerialConsole console() {
        return console;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    public String mac() {
        return mac;
    }

    public boolean kvm() {
        return kvm;
    }

    @Override
    public void close() {
        Processes.stop(process, 2000);
    }
}
