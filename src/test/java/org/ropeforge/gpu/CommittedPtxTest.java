package org.ropeforge.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed PTX is what build-ptx.sh makes of rope.cu today. Machines without nvcc (most CI) cannot rebuild
 * it and skip, saying so; so does a different nvcc release, whose output differs in ways that do not matter.
 */
class CommittedPtxTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Pattern RELEASE = Pattern.compile("release (\\d+\\.\\d+), V([\\d.]+)");

  @Test
  void committedPtxMatchesAFreshBuild(@TempDir Path dir) throws Exception {
    String committed = new String(CudaDevice.ptx(), StandardCharsets.US_ASCII).replace("\0", "");
    Matcher made = RELEASE.matcher(committed);
    assumeTrue(made.find(), "the committed PTX names no nvcc release in its header");
    String nvcc = nvccVersion();
    assumeTrue(nvcc != null, "nvcc is not on the PATH: cannot rebuild rope.ptx to compare");
    Matcher here = RELEASE.matcher(nvcc);
    assumeTrue(here.find() && here.group(2).equals(made.group(2)),
        "nvcc here is not V" + made.group(2) + ", the release that made the committed PTX: " + nvcc.trim());

    Path fresh = dir.resolve("rope.ptx");
    Process build = new ProcessBuilder("bash", ROOT.resolve("src/main/cuda/build-ptx.sh").toString(),
        fresh.toString()).redirectErrorStream(true).start();
    String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, build.waitFor(), "build-ptx.sh failed: " + log);
    assertEquals(Files.readString(fresh, StandardCharsets.US_ASCII), committed,
        "src/main/resources/org/ropeforge/gpu/rope.ptx is stale: run src/main/cuda/build-ptx.sh and commit it");
  }

  private static String nvccVersion() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? text : null;
    } catch (IOException e) {
      return null;
    }
  }
}
