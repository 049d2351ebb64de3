/** The authoritative DHCPv4 server: packet validation and encoding, the lease pool, PXE answers and the Netty transport. */
package io.metalcast.pxe.dhcp;
