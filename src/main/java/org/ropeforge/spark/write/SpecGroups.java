package org.ropeforge.spark.write;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ropeforge.core.LayerRope;
import org.ropeforge.spark.plan.Target;

/** The members of one plan group, split by their exact table keys. */
public final class SpecGroups {
  private SpecGroups() {}

  /**
   * The planned outputs of one shuffle group (one digest of a table spec), split by their exact table keys, in
   * the order of their first member. Equal layer lists are made one list, so that the group's batches, persisted
   * and shuffled again, hold each spec's frequency arrays once rather than once per target.
   */
  public static List<List<PlannedOutput>> exact(Iterable<PlannedOutput> members) {
    Map<List<LayerRope.TableKey>, List<PlannedOutput>> bySpec = new LinkedHashMap<>();
    Map<List<LayerRope>, List<LayerRope>> canonical = new HashMap<>();
    for (PlannedOutput member : members) {
      Target target = member.target();
      List<LayerRope> layers = canonical.computeIfAbsent(target.layers(), l -> l);
      if (layers != target.layers()) {
        member = new PlannedOutput(target.withLayers(layers), member.previous(), member.contentKey());
      }
      bySpec.computeIfAbsent(target.tableKey(), k -> new ArrayList<>()).add(member);
    }
    return new ArrayList<>(bySpec.values());
  }
}
