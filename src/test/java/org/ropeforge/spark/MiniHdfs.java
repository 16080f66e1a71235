package org.ropeforge.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A MiniDFSCluster on loopback (one name node, one data node) keeping its blocks in a folder of the test's own,
 * for the hdfs:// tests. Clients need no settings beyond its URI: the name node's address is in it.
 */
final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  static MiniHdfs start(Path dir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, Files.createDirectories(dir).toAbsolutePath().toString());
    // Loopback only, ports chosen by the system: nothing listens beyond this machine, runs never collide.
    for (String key : new String[] {"dfs.namenode.rpc-address", "dfs.namenode.http-address",
        "dfs.datanode.address", "dfs.datanode.http.address", "dfs.datanode.ipc.address"}) {
      conf.set(key, "127.0.0.1:0");
    }
    conf.setBoolean("dfs.namenode.http-bind-host.enabled", false);
    // Small blocks: a table file of a few MiB spans several, as a large one does on a real cluster.
    conf.setLong("dfs.blocksize", 1L << 20);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).build();
    cluster.waitActive();
    return new MiniHdfs(cluster);
  }

  /** {@code hdfs://127.0.0.1:port}, without a trailing slash. */
  String uri() {
    String uri = cluster.getURI().toString();
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  FileSystem fileSystem() throws IOException {
    return cluster.getFileSystem();
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
