package org.ropeforge.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.table.Layout;
import org.ropeforge.gpu.CudaTable;

/**
 * The table selection of GpuParityMain, which needs no GPU: a layout the CUDA kernel has no code for (pairs) is
 * reported as skipped with its reason instead of failing the whole run, and the others are still compared.
 */
class GpuParityMainTest {
  private static final String CATALOG = "conf/sample-catalog.jsonl";
  private static final String MODEL = "01-ai/Yi-6B";

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

  private GpuParityMain main(String layouts) {
    return new GpuParityMain(Map.of("catalog", CATALOG, "models", MODEL, "length", "64", "layouts", layouts,
        "dtypes", "f32,bf16"), new PrintStream(printed, true, StandardCharsets.UTF_8));
  }

  private String printed() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  @Test
  void pairsIsSkippedWithItsReasonAndTheOtherLayoutsAreKept() throws Exception {
    assertFalse(CudaTable.supports(Layout.PAIRS), "this test is about a layout the kernel lacks");
    List<GpuParityMain.Job> jobs = main("half,pairs,neox").jobs(64);
    // One distinct layer (Yi-6B), two layouts the kernel computes, two dtypes.
    assertEquals(4, jobs.size(), jobs.toString());
    for (GpuParityMain.Job job : jobs) {
      assertTrue(CudaTable.supports(job.options().layout()), job.options().layout().cliName());
    }
    assertEquals(List.of(Layout.HALF, Layout.HALF, Layout.NEOX, Layout.NEOX),
        jobs.stream().map(j -> j.options().layout()).toList());
    assertEquals("layout pairs: skipped, CPU only (the CUDA kernel has no pairs code; the job computes this "
        + "layout on the CPU)" + System.lineSeparator(), printed());
  }

  @Test
  void onlyPairsComparesNothingAndPassesWithoutTouchingADevice() throws Exception {
    GpuParityMain main = main("pairs");
    assertTrue(main.jobs(64).isEmpty());
    printed.reset();
    // No device is opened or needed: there is no table for the GPU.
    assertTrue(main.parity(null));
    assertTrue(printed().endsWith("parity: no table the CUDA kernel computes was selected; nothing to compare"
        + System.lineSeparator()), printed());
    printed.reset();
    assertTrue(main.bench(null));
    assertTrue(printed().endsWith("bench: no table the CUDA kernel computes was selected; nothing to time"
        + System.lineSeparator()), printed());
  }

  @Test
  void anUnknownModelIsStillAnError() {
    GpuParityMain main = new GpuParityMain(Map.of("catalog", CATALOG, "models", "no/such-model", "length", "64",
        "layouts", "pairs"), new PrintStream(printed, true, StandardCharsets.UTF_8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> main.jobs(64));
    assertEquals("No table selected: check --models against the catalog", e.getMessage());
  }
}
