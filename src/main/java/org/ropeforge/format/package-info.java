/**
 * The files ropeforge writes: {@link org.ropeforge.format.Safetensors} is the one documented class for the
 * safetensors byte layout (and its strict reader), and {@link org.ropeforge.format.RopeTableFile} lays a
 * resolved model's tables out in it, with the format version and the project version in every file. GGUF input:
 * {@link org.ropeforge.format.GgufFile} reads a GGUF header and its rope tensors,
 * {@link org.ropeforge.format.GgufSplit} names the shards of a split model, and
 * {@link org.ropeforge.format.GgufConfig} maps their facts back to the config.json they come from.
 */
package org.ropeforge.format;
