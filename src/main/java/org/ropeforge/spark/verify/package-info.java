/**
 * Stage 5, verify: {@link org.ropeforge.spark.verify.OutputVerifier} checks a finished output root against
 * its manifest, reading the manifest and the completion marker through {@code spark.output} and re-deriving
 * every listed file with the plan and the file layout the job used. Depends on plan, output and write (for the
 * file layout); nothing depends on it but the {@code verify} command.
 */
package org.ropeforge.spark.verify;
