/**
 * The files ropeforge writes: {@link org.ropeforge.format.Safetensors} is the one documented class for the
 * safetensors byte layout (and its strict reader), and {@link org.ropeforge.format.RopeTableFile} lays a
 * resolved model's tables out in it, with the format version and the project version in every file.
 */
package org.ropeforge.format;
