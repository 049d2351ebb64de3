/** The metalcast engine: entry point, configuration and wiring of the servers. */
package io.metalcast.engine;
