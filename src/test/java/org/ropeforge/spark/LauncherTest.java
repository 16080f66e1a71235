package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** jobs/lib/spark-launch.sh, through its --dry-run: the spark-submit line it builds, quoting included. */
class LauncherTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();

  private record Result(int exit, String out, String err) {}

  private static Result launch(String sparkHome, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve("jobs/ropeforge").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("SPARK_HOME", sparkHome);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Result(process.exitValue(), out, err);
  }

  @Test
  void withSparkHomeTheDryRunPrintsTheSparkSubmitLine() throws Exception {
    Result r = launch("/opt/spark home", "precompute", "--dry-run", "--master", "spark://h:7077",
        "--conf", "spark.hadoop.fs.s3a.endpoint=http://s3:9000", "--catalog", "s3a://b/my catalog",
        "--deploy-mode", "cluster", "--overwrite", "--conf=spark.executor.cores=2");

    assertEquals(0, r.exit(), r.err());
    String jar = java.util.Arrays.stream(r.out().trim().split(" "))
        .filter(word -> word.endsWith("-app.jar")).findFirst().orElseThrow();
    assertTrue(jar.matches(".*/target/ropeforge-[0-9.]+-app\\.jar"), jar);
    assertEquals("/opt/spark\\ home/bin/spark-submit --class org.ropeforge.spark.PrecomputeMain"
        + " --master spark://h:7077 --deploy-mode cluster --conf spark.hadoop.fs.s3a.endpoint=http://s3:9000"
        + " --conf spark.executor.cores=2 " + jar + " --catalog s3a://b/my\\ catalog --overwrite",
        r.out().trim());
  }

  @Test
  void aMissingValueIsAUsageError() throws Exception {
    Result r = launch("/opt/spark", "precompute", "--dry-run", "--conf");

    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("ropeforge: option --conf needs a value\nusage: jobs/ropeforge precompute"),
        r.err());
  }
}
