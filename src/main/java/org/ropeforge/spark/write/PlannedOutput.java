package org.ropeforge.spark.write;

import java.io.Serializable;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.plan.Target;

/**
 * A target on its way to a write task, with the row an earlier run (its manifest or its journal) left for the
 * same (model, length), joined on the executors so that no table of earlier rows has to sit on the driver.
 *
 * @param previous the earlier row, or null: the output is written unless this row is reusable and its files check
 */
public record PlannedOutput(Target target, Manifest.Row previous) implements Serializable {
  private static final long serialVersionUID = 1L;
}
