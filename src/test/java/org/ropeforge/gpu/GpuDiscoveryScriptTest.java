package org.ropeforge.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** conf/gpu-discovery.sh prints what Spark's resource discovery expects, from the override or nvidia-smi. */
class GpuDiscoveryScriptTest {
  private static final Path SCRIPT = Path.of("conf/gpu-discovery.sh").toAbsolutePath();

  private record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString());
    builder.environment().remove("ROPEFORGE_FAKE_GPUS");
    builder.environment().putAll(env);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return new Result(p.waitFor(), out, err);
  }

  @Test
  void overridePrintsTheAddressesInSparksFormat() throws Exception {
    assertEquals(new Result(0, "{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}", ""),
        run(Map.of("ROPEFORGE_FAKE_GPUS", "0,1")));
    assertEquals(new Result(0, "{\"name\":\"gpu\",\"addresses\":[\"3\",\"7\"]}", ""),
        run(Map.of("ROPEFORGE_FAKE_GPUS", " 3, 7")));
  }

  @Test
  void emptyOverrideMeansNoGpu() throws Exception {
    assertEquals(new Result(0, "{\"name\":\"gpu\",\"addresses\":[]}", ""), run(Map.of("ROPEFORGE_FAKE_GPUS", "")));
  }

  @Test
  void addressThatIsNoDeviceIndexIsRefused() throws Exception {
    assertEquals(new Result(1, "", "gpu-discovery: invalid GPU address 'gpu0' (must be a device index)"),
        run(Map.of("ROPEFORGE_FAKE_GPUS", "0,gpu0")));
  }

  @Test
  void withoutNvidiaSmiTheScriptFailsInsteadOfReportingNoGpu() throws Exception {
    // An empty PATH for the script: nvidia-smi cannot be found however the machine is set up.
    Result result = run(Map.of("PATH", "/nonexistent"));
    assertEquals(new Result(1, "",
        "gpu-discovery: nvidia-smi not found; set ROPEFORGE_FAKE_GPUS to declare addresses by hand"), result);
  }
}
