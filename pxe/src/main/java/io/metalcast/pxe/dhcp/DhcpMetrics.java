package io.metalcast.pxe.dhcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** {@code dhcp.packets{type,result}}: every combination registered up front so dashboards see zeros. */
final class DhcpMetrics {
    private final Counter[][] counters = new Counter[MessageType.values().length][DhcpResult.values().length];

    DhcpMetrics(MeterRegistry registry) {
        for (MessageType t : MessageType.values()) {
            for (DhcpResult r : DhcpResult.values()) {
                counters[t.ordinal()][r.ordinal()] = Counter.builder("dhcp.packets")
                        .description("DHCP packets received, by message type and outcome")
                        .tag("type", t.tag()).tag("result", r.tag())
                        .register(registry);
            }
        }
    }

    void count(MessageType type, DhcpResult result) {
        counters[type.ordinal()][result.ordinal()].increment();
    }
}
