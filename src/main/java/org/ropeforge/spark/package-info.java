/**
 * The Spark batch job: lists a catalog of model configs, normalises them on executors, computes each distinct
 * cos/sin table once and writes it for every model that shares it, as safetensors, Parquet and a manifest.
 * The maths comes from {@code org.ropeforge.config} and {@code org.ropeforge.core}, which know nothing of
 * Spark; this package only distributes and writes.
 */
package org.ropeforge.spark;
