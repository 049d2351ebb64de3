/** Image formats (upload filetypes, stored names, curtin source types, compressions) and upload/initramfs inspection. */
package io.metalcast.curtin.image;
