/** The boot HTTP server: GET/HEAD of published boot files with exact lengths, single ranges, ETags and zero-copy bodies. */
package io.metalcast.pxe.http;
