/** Engine metrics: MAAS's static image gauges, machines by state, uploads. */
package io.metalcast.engine.metrics;
