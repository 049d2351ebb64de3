/** Image formats: upload filetypes, their stored names and curtin source types. */
package io.metalcast.curtin.image;
