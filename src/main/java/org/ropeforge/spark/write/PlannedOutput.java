package org.ropeforge.spark.write;

import java.io.Serializable;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.plan.Target;

/**
 * A target on its way to a write task, with the row an earlier run (its manifest or its journal) left for the
 * same (model, length), joined on the executors so that no table of earlier rows has to sit on the driver.
 *
 * @param previous the earlier row, or null: the output is written unless this row is reusable and its files check
 * @param contentKey the content key of the target's table file, where the plan already computed it for the
 *     content-addressed store; null elsewhere
 */
public record PlannedOutput(Target target, Manifest.Row previous, String contentKey) implements Serializable {
  private static final long serialVersionUID = 2L;

  public PlannedOutput(Target target, Manifest.Row previous) {
    this(target, previous, null);
  }

  /** The same planned output with its table file's content key. */
  public PlannedOutput withContentKey(String key) {
    return new PlannedOutput(target, previous, key);
  }
}
