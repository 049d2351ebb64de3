package io.metalcast.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.metalcast.testbed.lab.DeployFlow;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * The walking skeleton end to end on a real QEMU machine: PXE boot from metalcast, enlist, upload a custom image (raw,
 * gzip-compressed as MAAS users most often send it, and as a root tarball whose /curtin/curtin-hooks installs extlinux),
 * deploy, and the machine, rebooted from its own disk, prints its marker while the API shows it Deployed.
 * Needs root (network namespaces, taps); CI runs as root, without KVM.
 */
class DeployCustomImageIT {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ddraw", "ddgz", "tgz"})
    @Timeout(value = 40, unit = java.util.concurrent.TimeUnit.MINUTES)
    void machinePxeBootsAndGetsTheCustomImageOnItsDisk(String filetype) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the lab needs root for namespaces and taps");
        boolean kvm = Boolean.getBoolean("metalcast.lab.kvm");
        Path home = Main.home();
        DeployFlow.Options options = new DeployFlow.Options(home, Main.cacheDir(), home.resolve("testbed/target/lab-it-" + filetype), kvm,
                Duration.ofMinutes(kvm ? 5 : 15), filetype);
        try (DeployFlow flow = new DeployFlow(options, System.out)) {
            DeployFlow.Report report = flow.run();
            assertEquals("Deployed", report.status());
            assertFalse(report.hostname().isBlank(), "the machine has a host name");
            // a disk image goes by its block map (a raw upload's own, a compressed upload's raw view): only the blocks
            // holding data fetched, each range's sha256 checked; a root tarball is streamed whole
            boolean disk = !filetype.equals("tgz");
            String map = filetype.equals("ddraw") ? "/uploaded/root-dd.raw.bmap" : "/uploaded/root-dd.gz.raw.bmap";
            boolean byMap = report.installerLines().stream().anyMatch(l -> l.contains("extract: by block map ") && l.contains(map));
            assertEquals(disk, byMap, String.join("\n", report.installerLines()));
            assertEquals(disk, report.installerLines().stream().anyMatch(l -> l.contains("sha256 ok for each of the ")),
                    String.join("\n", report.installerLines()));
            System.out.println("end-to-end stages, " + filetype + " (" + (kvm ? "KVM" : "TCG") + "): " + report.consoleStages());
        }
    }
}
