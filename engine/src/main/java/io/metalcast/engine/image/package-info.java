/** Boot resources: the content-addressed image store, uploaded custom images and ephemeral images on disk. */
package io.metalcast.engine.image;
