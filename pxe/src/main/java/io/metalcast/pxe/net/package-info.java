/** Netty transport selection (native epoll or NIO) and safe opening of published boot files, shared by the servers. */
package io.metalcast.pxe.net;
