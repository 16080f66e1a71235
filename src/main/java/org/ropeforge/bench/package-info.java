/**
 * Measurement and parity tools, kept out of the production path: {@link org.ropeforge.bench.Bench} runs the
 * Spark job over a synthetic catalog against the disk rate of the same run ({@code jobs/ropeforge bench}), and
 * {@link org.ropeforge.bench.GpuParityMain} compares the CUDA kernel with the CPU kernel byte for byte and
 * measures both on a GPU host. GpuParityMain runs from a thin classpath (the project jar, Jackson, JCuda), so it
 * uses no Spark or Hadoop class; nothing in the product depends on this package.
 */
package org.ropeforge.bench;
