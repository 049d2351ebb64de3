/** The installer run inside the ephemeral environment: fetches the curtin config, writes the image, runs curthooks, reports. */
package io.metalcast.curtin.installer;
