package org.ropeforge.spark;

import org.apache.spark.sql.SparkSession;

/** One local SparkSession for every test class of the test JVM: each cold start costs about ten seconds. */
final class SharedSpark {
  private static SparkSession session;

  private SharedSpark() {}

  static synchronized SparkSession session() {
    if (session == null) {
      session = SparkSession.builder()
          // Two attempts per task, as on a cluster, so that a task failed by the fault-injection test is retried;
          // a deterministic failure still fails its job after the second attempt.
          .master("local[2,2]")
          .appName("ropeforge-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.ui.showConsoleProgress", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .getOrCreate();
      Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
    }
    return session;
  }
}
