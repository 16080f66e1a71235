/**
 * Hadoop FileSystem helpers of the Spark job: serializable configuration, outputs that become visible only
 * when complete, and checksums taken while writing. Used on the driver and on executors alike.
 */
package org.ropeforge.io;
