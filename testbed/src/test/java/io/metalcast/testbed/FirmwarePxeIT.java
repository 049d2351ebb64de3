package io.metalcast.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.metalcast.testbed.lab.EngineProcess;
import io.metalcast.testbed.lab.LabNetwork;
import io.metalcast.testbed.lab.MaasClient;
import io.metalcast.testbed.lab.QemuMachine;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that is not iPXE: OVMF's own UEFI PXE (the NIC's iPXE ROM switched off). metalcast must hand it ipxe.efi over
 * TFTP, and the iPXE it loaded must come back as an iPXE client for its per-machine script, so the machine enlists.
 */
class FirmwarePxeIT {
    private static final String MAC = "52:54:00:4d:43:07";

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void uefiFirmwarePxeIsChainloadedToIpxeOverTftpAndEnlists() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the lab needs root for namespaces and taps");
        Path work = Main.home().resolve("testbed/target/lab-it-uefi");
        Files.createDirectories(work);
        try (LabNetwork network = LabNetwork.create(ProcessHandle.current().pid() + 1);
             EngineProcess engine = EngineProcess.start(Main.home(), network,
                     EngineProcess.writeConfig(work, work.resolve("data"), "console=ttyS0,115200n8"), work.resolve("data"),
                     work.resolve("engine.log"), Duration.ofSeconds(120));
             QemuMachine machine = QemuMachine.create("uefi-vm", MAC, work.resolve("vm"), 1L << 30, false)) {
            machine.start(network, network.addTap(), QemuMachine.Firmware.UEFI_FIRMWARE_PXE);
            MaasClient maas = new MaasClient(engine.api(), engine.key());
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            Optional<JsonNode> enlisted = Optional.empty();
            while (enlisted.isEmpty() || tftpServed(engine) == 0 || scriptsServed(engine) == 0) {
                assertTrue(Instant.now().isBefore(deadline), "no enlistment through TFTP within 5 minutes: enlisted "
                        + enlisted.isPresent() + "\n" + metrics(engine) + machine.console().tail(30) + "\n" + engine.logTail(40));
                assertTrue(machine.running() && engine.running(), "the machine or the engine stopped\n" + engine.logTail(40));
                Thread.sleep(500);
                enlisted = maas.machineByMac(MAC);
            }
            assertEquals("New", enlisted.get().path("status_name").asText());
            assertTrue(tftpServed(engine) >= 1, "ipxe.efi went over TFTP");
        }
    }

    /** TFTP transfers completed, from the engine's own Prometheus metrics. */
    private static double tftpServed(EngineProcess engine) throws Exception {
        return metric(engine, "tftp_requests_total\\{[^}]*result=\"ok\"[^}]*\\} ([0-9.eE+]+)");
    }

    /** HTTP boot responses (the per-machine iPXE script among them), from the engine's metrics. */
    private static double scriptsServed(EngineProcess engine) throws Exception {
        return metric(engine, "http_requests_total\\{[^}]*result=\"ok\"[^}]*\\} ([0-9.eE+]+)");
    }

    private static String metrics(EngineProcess engine) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(engine.api().resolve("metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(EngineProcess engine, String regex) throws Exception {
        Matcher m = Pattern.compile(regex).matcher(metrics(engine));
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }
}
