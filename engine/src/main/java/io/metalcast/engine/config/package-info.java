/** The engine configuration: one YAML file read once at start-up into immutable records. */
package io.metalcast.engine.config;
