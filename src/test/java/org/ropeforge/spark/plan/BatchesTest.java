package org.ropeforge.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.spark.write.FakeTables;

class BatchesTest {
  /** Half layout in f16: a row of one tensor is rotaryDim bytes, two tensors per layer. */
  private final TableOptions tables = new TableOptions(Layout.HALF, Dtype.F16, Precision.EXACT);

  @Test
  void batchesBoundFilesAndBytesAndKeepAModelsLengthsTogether() {
    LayerRope a = FakeTables.layer(null, 0.5, 4);
    List<Target> targets = List.of(FakeTables.target("b", 100, a), FakeTables.target("a", 10, a),
        FakeTables.target("a", 100, a), FakeTables.target("c", 100, a));

    List<List<Target>> batches = Batches.of(targets, 2, Long.MAX_VALUE, tables);
    List<List<Target>> byBytes = Batches.of(targets, 64, (100 + 10) * 4 * 2, tables);

    assertEquals(List.of(List.of("a", "a"), List.of("b", "c")),
        batches.stream().map(b -> b.stream().map(Target::modelId).toList()).toList());
    assertEquals(List.of(2, 1, 1), byBytes.stream().map(List::size).toList());
  }
}
