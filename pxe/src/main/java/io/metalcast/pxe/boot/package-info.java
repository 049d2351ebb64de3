/** What crosses between the protocol servers and the engine: the boot policy interface and its value types. */
package io.metalcast.pxe.boot;
