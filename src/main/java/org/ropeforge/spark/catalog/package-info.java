/**
 * Stage 1 of the job, catalog: lists the models of a catalog (a folder tree of config.json files or a
 * manifest in {@link org.ropeforge.config.CatalogManifest}'s grammar) on the driver, through the Hadoop
 * FileSystem API, without reading a config. Depends on nothing else of the job.
 */
package org.ropeforge.spark.catalog;
