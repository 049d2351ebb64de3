package io.metalcast.pxe.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The boot HTTP server's throughput meters: total body bytes as they leave (a rate over it is the total throughput),
 * the rate of each file body from its first to its last byte (per-connection throughput), and body bytes per
 * connection over its lifetime.
 */
final class HttpMeters {
    final Counter bytes;
    final DistributionSummary transferRate;
    final DistributionSummary connectionBytes;

    HttpMeters(MeterRegistry registry) {
        this.bytes = Counter.builder("http.bytes").description("HTTP body bytes sent").baseUnit("bytes").register(registry);
        this.transferRate = DistributionSummary.builder("http.transfer.rate")
                .description("Rate of each file body sent, first to last byte").baseUnit("bytes/s").register(registry);
        this.connectionBytes = DistributionSummary.builder("http.connection.bytes")
                .description("Body bytes sent over each connection").baseUnit("bytes").register(registry);
    }
}
