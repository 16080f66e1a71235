package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.table.Dtype;

/** {@code --gpu} and its amounts: from the command line or spark.ropeforge.*, with Spark's rules on amounts. */
class GpuOptionsTest {
  private static GpuOptions gpu(Map<String, String> conf, String... args) {
    return CommandLine.parse(args).gpuOptions(conf);
  }

  @Test
  void offUnlessAsked() {
    assertEquals(GpuOptions.OFF, gpu(Map.of()));
    assertEquals(new GpuOptions(true, 1.0, 1), gpu(Map.of(), "--gpu"));
  }

  @Test
  void commandLineWinsOverTheSparkConfiguration() {
    Map<String, String> conf = Map.of("spark.ropeforge.gpu", "on", "spark.ropeforge.gpu-task-amount", "0.5",
        "spark.ropeforge.gpu-executor-amount", "4");
    assertEquals(new GpuOptions(true, 0.5, 4), gpu(conf));
    assertEquals(new GpuOptions(false, 0.25, 4), gpu(conf, "--gpu=off", "--gpu-task-amount", "0.25"));
  }

  @Test
  void gpuOptionsDoNotDisturbTheJobOptions() {
    CommandLine line = CommandLine.parse("--gpu", "--gpu-task-amount", "0.5", "--dtype", "bf16");
    assertEquals(java.util.List.of(Dtype.BF16), line.jobOptions(Map.of()).dtypes());
  }

  @Test
  void amountsSparkCannotScheduleAreRefused() {
    assertEquals("Option 'gpu-task-amount' is 1.5 but must be a share of one GPU (at most 1) or a whole number"
            + " of GPUs",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu", "--gpu-task-amount", "1.5"))
            .getMessage());
    assertEquals("Option 'gpu-task-amount' is 0.0 but must be a share of one GPU (at most 1) or a whole number"
            + " of GPUs",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu-task-amount", "0")).getMessage());
    assertEquals("Option 'gpu-task-amount' is NaN but must be a share of one GPU (at most 1) or a whole number"
            + " of GPUs",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu-task-amount", "NaN")).getMessage());
    assertEquals("Option 'gpu-task-amount' is 2.0 but an executor has only 1 GPUs ('gpu-executor-amount')",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu-task-amount", "2")).getMessage());
    assertEquals("Option 'gpu-executor-amount' is 0 but must be a whole number >= 1",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu-executor-amount", "0"))
            .getMessage());
    assertEquals("Option 'gpu-executor-amount' is '1.5', which is not a whole number",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of(), "--gpu-executor-amount", "1.5"))
            .getMessage());
    assertEquals("Option 'gpu' is 'maybe' but must be on or off",
        assertThrows(IllegalArgumentException.class, () -> gpu(Map.of("spark.ropeforge.gpu", "maybe")))
            .getMessage());
  }
}
