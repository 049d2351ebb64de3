package io.metalcast.engine.ephemeral.simplestreams;

/** A parsed stream file: an index ({@code index:1.0}) or a products file ({@code products:1.0}). */
public sealed interface StreamDocument permits StreamIndex, ProductsFile {
}
