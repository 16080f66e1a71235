package org.ropeforge.io;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A Hadoop {@link Configuration} that travels to executors, so that they build their own FileSystem clients
 * (credentials, endpoints and {@code spark.hadoop.*} settings included) instead of receiving live ones.
 */
public final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 1L;

  private transient Configuration conf;

  public HadoopConf(Configuration conf) {
    this.conf = new Configuration(conf);
  }

  public Configuration get() {
    return conf;
  }

  /**
   * The FileSystem of {@code path}. The local one comes without its checksum layer: a {@code .crc} file
   * beside every output would be noise in a directory of published tables.
   */
  public FileSystem fileSystem(Path path) throws IOException {
    return rawIfLocal(path.getFileSystem(conf));
  }

  public FileSystem fileSystem(URI uri) throws IOException {
    return rawIfLocal(FileSystem.get(uri, conf));
  }

  private static FileSystem rawIfLocal(FileSystem fs) {
    return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    conf.write(out);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    conf = new Configuration(false);
    conf.readFields(in);
  }
}
