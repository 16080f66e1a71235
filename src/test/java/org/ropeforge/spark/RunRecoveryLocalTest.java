package org.ropeforge.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link RunRecoveryScenarios} on the local filesystem, with the job on local[2]. */
class RunRecoveryLocalTest extends RunRecoveryScenarios {
  @TempDir static Path dir;

  @Override
  String root(String name) {
    return dir.resolve(name).toUri().toString();
  }

  @Override
  Path work() {
    return dir;
  }

  /** 64 MiB files: 1 GiB in all, a few seconds of writes here. */
  @Override
  long length() {
    return 131_072;
  }

  @Override
  void plantLeftovers(String root) throws IOException {
    Path folder = Files.createDirectories(Path.of(java.net.URI.create(root)).resolve("safetensors/org/m0"));
    Files.write(folder.resolve(temporaryName("rope-" + length() + ".safetensors")), new byte[4096]);
  }
}
