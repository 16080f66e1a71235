package org.ropeforge.spark;

import org.ropeforge.spark.write.SafetensorsTables;

/**
 * {@code precompute} with the fault tests' hooks, for tests that run the job in a JVM of its own (a driver to
 * kill, a spark-submit onto a standalone cluster): the hooks come from {@link FaultHooks}' system properties.
 */
public final class FaultyPrecomputeMain {
  private FaultyPrecomputeMain() {}

  public static void main(String[] args) {
    System.exit(PrecomputeMain.run(args, SafetensorsTables.FACTORY, FaultHooks.fromSystemProperties(), System.out,
        System.err));
  }
}
