/**
 * The table kernel on CUDA GPUs, through JCuda's driver API: {@link org.ropeforge.gpu.CudaDevice} opens a device
 * and loads the committed PTX, {@link org.ropeforge.gpu.CudaTable} computes a table's rows with the CPU kernel's
 * bytes; {@code org.ropeforge.bench.GpuParityMain} checks and measures both. No Spark here: the job's table
 * stage decides when a task holds a GPU and calls in.
 */
package org.ropeforge.gpu;
