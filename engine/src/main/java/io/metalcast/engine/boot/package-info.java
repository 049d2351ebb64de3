/** The engine's boot policy: what each PXE client boots, and which published files it may open. */
package io.metalcast.engine.boot;
