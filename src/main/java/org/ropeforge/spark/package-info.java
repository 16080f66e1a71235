/**
 * The Spark batch job's entry points, options and progress. {@link org.ropeforge.spark.PrecomputeMain} and
 * {@link org.ropeforge.spark.VerifyMain} are the commands; {@link org.ropeforge.spark.JobOptions} and
 * {@link org.ropeforge.spark.CommandLine} the options (typed from the command line on, keys next to their
 * defaults); {@link org.ropeforge.spark.PrecomputeJob} runs the stages in order, each under its own Spark job
 * group. The stages are packages that depend downward only: {@code catalog} → {@code plan} → {@code output} →
 * {@code write} → {@code verify}. The maths comes from {@code org.ropeforge.config} and
 * {@code org.ropeforge.core}, which know nothing of Spark.
 */
package org.ropeforge.spark;
