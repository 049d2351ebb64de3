/** The curtin config model shared by the engine (which renders it) and the installer (which consumes it), and its YAML. */
package io.metalcast.curtin.config;
