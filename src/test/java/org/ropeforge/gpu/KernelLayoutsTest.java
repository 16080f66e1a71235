package org.ropeforge.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;

/** The committed PTX knows four layouts; the fifth must be refused before any device call, so callers use the CPU. */
class KernelLayoutsTest {
  @Test
  void pairsIsLeftToTheCpuAndEveryOtherLayoutGoesToTheKernel() {
    for (Layout layout : Layout.values()) {
      assertEquals(layout != Layout.PAIRS, CudaTable.supports(layout), layout.cliName());
    }
    LayerRope layer = new LayerRope(null, "default", 4, new double[] {1.0, 0.01}, 1.0, null, null, 1.0, 0.0);
    RopeTable pairs = RopeTable.of(layer, new TableOptions(Layout.PAIRS, Dtype.F32, Precision.EXACT));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaTable.of(null, pairs));
    assertEquals("The CUDA kernel has no layout pairs: compute it on the CPU", e.getMessage());
    assertTrue(CudaTable.supports(Layout.VLLM));
    assertFalse(CudaTable.supports(Layout.PAIRS));
  }
}
