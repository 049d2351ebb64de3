/** The metalcast engine: the launcher and the wiring of store, services, boot policy and API server. */
package io.metalcast.engine;
