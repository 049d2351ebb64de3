package io.metalcast.engine.metrics;

import io.metalcast.engine.image.BootResources;
import io.metalcast.engine.machine.MachineStatus;
import io.metalcast.engine.machine.Machines;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gauges read from the store. {@link #refresh()} queries the database (blocking) and is called before each scrape and
 * after changes; gauges themselves only read the cached values, so a scrape never touches the database from a meter.
 */
public final class EngineMetrics {
    private final BootResources resources;
    private final Machines machines;
    private final MultiGauge uploaded;
    private final MultiGauge byState;
    private final AtomicLong deployedCustom = new AtomicLong();
    private final MeterRegistry registry;

    public EngineMetrics(MeterRegistry registry, BootResources resources, Machines machines) {
        this.registry = registry;
        this.resources = resources;
        this.machines = machines;
        this.uploaded = MultiGauge.builder("maas_custom_static_images_uploaded")
                .description("Custom images uploaded with a base image, by base image and file type").register(registry);
        Gauge.builder("maas_custom_static_images_deployed", deployedCustom, AtomicLong::doubleValue)
                .description("Machines deployed with a custom image").register(registry);
        this.byState = MultiGauge.builder("machines").description("Machines by state").register(registry);
    }

    /** Counts an upload by result ({@code stored}, {@code rejected}, {@code failed}). */
    public void upload(String result) {
        Counter.builder("boot_resources.uploads").description("Boot resource uploads by result").tag("result", result)
                .register(registry).increment();
    }

    /** Re-reads the gauges' values from the store. Blocking. */
    public synchronized void refresh() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Map.Entry<List<String>, Long> e : resources.countUploadedCustom().entrySet()) {
            rows.add(MultiGauge.Row.of(Tags.of("base_image", e.getKey().get(0), "file_type", e.getKey().get(1)), e.getValue()));
        }
        uploaded.register(rows, true);
        Map<Integer, Long> counts = machines.countByStatus();
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        for (MachineStatus s : MachineStatus.values()) {
            states.add(MultiGauge.Row.of(Tags.of("state", s.displayName()), counts.getOrDefault(s.code(), 0L)));
        }
        byState.register(states, true);
        deployedCustom.set(machines.countDeployedCustom());
    }
}
