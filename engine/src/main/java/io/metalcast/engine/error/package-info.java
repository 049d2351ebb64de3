/** Typed refusals that services raise and the API maps to HTTP status codes. */
package io.metalcast.engine.error;
