/**
 * The job's output vocabulary, shared by writing and verifying: where each output lives
 * ({@link org.ropeforge.spark.output.OutputPaths}), what became of each target
 * ({@link org.ropeforge.spark.output.Outcome}), the manifest's one writer and reader
 * ({@link org.ropeforge.spark.output.Manifest}) and the completion marker's
 * ({@link org.ropeforge.spark.output.CompletionMarker}). Depends on the plan, never on writing or verifying.
 */
package org.ropeforge.spark.output;
