/**
 * Stage 2 of the job, plan: on the executors, each catalog entry's config is read once (bounded, hashed),
 * parsed and resolved at every context length into {@link org.ropeforge.spark.plan.Target}s, each with its
 * input fingerprint (in a run of several layouts and dtypes, one per {@link org.ropeforge.spark.plan.Encoding},
 * with that form's fingerprint); every failure becomes an error target with a {@link org.ropeforge.spark.plan.Problem}.
 * Targets group by their table key and are cut into write tasks by {@link org.ropeforge.spark.plan.Batches}.
 * {@link org.ropeforge.spark.plan.OutputSettings} are the settings that decide the output bytes. Depends on the
 * catalog stage and the maths, never on writing.
 */
package org.ropeforge.spark.plan;
