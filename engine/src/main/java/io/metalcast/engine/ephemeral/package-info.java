/** Ephemeral image imports run by the engine and the import command: the importer, its initramfs check, its report. */
package io.metalcast.engine.ephemeral;
