/** The QEMU lab: network namespaces, ephemeral environment and sample image, virtual machines. */
package io.metalcast.testbed;
