/** The TFTP boot server (RFC 1350 with blksize, tsize and timeout options): request codec, transfer sessions, server. */
package io.metalcast.pxe.tftp;
