package org.ropeforge.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunRecoveryScenarios} with the outputs on hdfs:// against a MiniDFSCluster on loopback. A driver killed
 * there leaves files under construction, their HDFS leases held by a client that is gone.
 */
class RunRecoveryHdfsTest extends RunRecoveryScenarios {
  @TempDir static Path dir;

  private static MiniHdfs hdfs;

  @BeforeAll
  static void startCluster() throws IOException {
    hdfs = MiniHdfs.start(dir.resolve("dfs"));
  }

  @AfterAll
  static void stopCluster() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Override
  String root(String name) {
    return hdfs.uri() + "/" + name;
  }

  @Override
  Path work() {
    return dir;
  }

  /** 16 MiB files, 256 MiB in all: each file spans several blocks. */
  @Override
  long length() {
    return 32_768;
  }

  /** A hidden temporary file left open, as a writer killed mid-file leaves it: its lease still held. */
  @Override
  void plantLeftovers(String root) throws IOException {
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(root + "/safetensors/org/m0/"
        + temporaryName("rope-" + length() + ".safetensors"));
    // A client of its own, aborted rather than closed: the file stays under construction, as a killed writer's.
    DistributedFileSystem writer = (DistributedFileSystem) FileSystem.newInstance(file.toUri(),
        spark.sparkContext().hadoopConfiguration());
    FSDataOutputStream out = writer.create(file, true);
    out.write(new byte[4096]);
    out.hflush();
    writer.getClient().closeAllFilesBeingWritten(true);
    writer.close();
    org.junit.jupiter.api.Assertions.assertFalse(((DistributedFileSystem) fs(root)).isFileClosed(file),
        "the planted file is still under construction");
  }
}
