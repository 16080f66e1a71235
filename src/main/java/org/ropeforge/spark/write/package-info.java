/**
 * Stage 3 of the job, write: on the executors, {@link org.ropeforge.spark.write.GroupWriter} computes each
 * distinct table once and streams it to every safetensors file of its group (reusing files a previous manifest
 * shows current), through {@link org.ropeforge.spark.write.TableWriting}, the one interface to the table
 * generator and the file layout, in every layout and dtype of the run ({@link org.ropeforge.spark.write.TableForms}:
 * with several, each table is computed once in the source precision and stored in each); {@link org.ropeforge.spark.write.ParquetOutputs} writes the two Parquet
 * datasets. A task opens the GPU Spark assigned it ({@link org.ropeforge.spark.write.TaskGpu}) and falls back
 * to the CPU ({@link org.ropeforge.spark.write.FallbackRows}). {@link org.ropeforge.spark.write.WriteHooks} is
 * where tests inject faults. Depends on plan and output.
 */
package org.ropeforge.spark.write;
