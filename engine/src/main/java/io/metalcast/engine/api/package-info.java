/** The MAAS-compatible REST API, metadata endpoints, status page and metrics endpoint on one Netty HTTP server. */
package io.metalcast.engine.api;
