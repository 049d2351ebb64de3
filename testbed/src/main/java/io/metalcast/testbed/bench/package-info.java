/** Benchmarks run by hand ({@code ./metalcast bench ...}): metalcast's servers against a reference peer on loopback. */
package io.metalcast.testbed.bench;
