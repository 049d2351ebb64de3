/** Builders, from Debian packages, of the lab's ephemeral environment (kernel, initramfs, squashfs) and sample disk image. */
package io.metalcast.testbed.build;
