/**
 * ropeforge: RoPE parameters and cos/sin tables for every model of a registry. The packages, from the bottom:
 * {@code core} (the maths, JDK only), {@code config} (config.json in every dialect, the catalog grammar, the
 * bounded config read), {@code format} (the safetensors layout), {@code io} (atomic outputs over Hadoop),
 * {@code gpu} (the CUDA kernel), {@code cli} (commands without Spark), {@code spark} (the batch job, one package
 * per pipeline stage) and {@code bench} (measurement and parity tools). {@link org.ropeforge.BuildInfo} holds
 * the facts of the build, such as the one project version.
 */
package org.ropeforge;
