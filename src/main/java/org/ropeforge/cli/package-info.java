/**
 * The commands that need no Spark: {@code params} (parameters as JSON lines, reading catalogs through
 * {@link org.ropeforge.config.CatalogManifest}), {@code table} (one table as a safetensors file) and
 * {@code inspect} (a file's header and rows).
 */
package org.ropeforge.cli;
