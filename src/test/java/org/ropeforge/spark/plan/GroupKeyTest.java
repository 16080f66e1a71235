package org.ropeforge.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;

class GroupKeyTest {
  private static LayerRope layer(String type, int dim, double first, double factor, double scale, double offset) {
    double[] inv = new double[dim / 2];
    for (int j = 0; j < inv.length; j++) {
      inv[j] = first / (j + 1);
    }
    return new LayerRope(type, "default", dim, inv, factor, null, null, scale, offset);
  }

  @Test
  void layersOfOneTableKeyShareTheGroupKeyWhateverTheirLabels() {
    LayerRope plain = layer("full_attention", 8, 1.0, 1.0, 1.0, 0.0);
    LayerRope relabelled = new LayerRope("sliding_attention", "llama3", 8, plain.invFreq(), 1.0, 0.125, null, 1.0,
        0.0);

    assertEquals(plain.tableKey(), relabelled.tableKey());
    assertEquals(GroupKey.of(List.of(plain)), GroupKey.of(List.of(relabelled)));
  }

  @Test
  void everyValueOfTheTableKeyChangesTheGroupKey() {
    GroupKey base = GroupKey.of(List.of(layer(null, 8, 1.0, 1.0, 1.0, 0.0)));

    assertNotEquals(base, GroupKey.of(List.of(layer(null, 10, 1.0, 1.0, 1.0, 0.0))));
    assertNotEquals(base, GroupKey.of(List.of(layer(null, 8, Math.nextUp(1.0), 1.0, 1.0, 0.0))));
    assertNotEquals(base, GroupKey.of(List.of(layer(null, 8, 1.0, 1.1, 1.0, 0.0))));
    assertNotEquals(base, GroupKey.of(List.of(layer(null, 8, 1.0, 1.0, 2.0, 0.0))));
    assertNotEquals(base, GroupKey.of(List.of(layer(null, 8, 1.0, 1.0, 1.0, -0.0))));
    assertNotEquals(base, GroupKey.of(List.of(layer(null, 8, 1.0, 1.0, 1.0, 0.0), layer(null, 8, 1.0, 1.0, 1.0,
        0.0))));
    // Many layers of wide tables: longer than one buffer of the digest.
    LayerRope wide = layer(null, 512, 1.0, 1.0, 1.0, 0.0);
    assertEquals(GroupKey.of(List.of(wide, wide, wide)), GroupKey.of(List.of(wide, wide, wide)));
    assertNotEquals(GroupKey.of(List.of(wide, wide, wide)),
        GroupKey.of(List.of(wide, wide, layer(null, 512, Math.nextDown(1.0), 1.0, 1.0, 0.0))));
  }

  @Test
  void errorRowsGoToBucketsByModelId() {
    Target failed = Target.failed("org/bad", null, Target.UNKNOWN_LENGTH, null,
        new Problem("config", null, "Cannot read config"));

    GroupKey key = GroupKey.of(failed);

    assertTrue(key.error());
    assertEquals(key, GroupKey.of(failed));
    assertTrue(key.high() >= 0 && key.high() < GroupKey.ERROR_BUCKETS);
  }
}
