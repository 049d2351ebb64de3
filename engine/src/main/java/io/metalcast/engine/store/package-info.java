/** The store: connection pool, versioned migrations and plain JDBC repositories. */
package io.metalcast.engine.store;
