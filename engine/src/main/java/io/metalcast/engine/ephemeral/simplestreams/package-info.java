/** Imports ephemeral images (kernel, initrd, squashfs) per release and architecture from a simplestreams mirror. */
package io.metalcast.engine.ephemeral.simplestreams;
