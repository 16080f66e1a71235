package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.LayerRope;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.write.FakeTables;
import org.ropeforge.spark.write.ParquetOutputs;

/**
 * The params dataset is written in bounded part files, whatever the spread of the outcomes over tasks: one task
 * holding every model of a table (the content-addressed store) splits its rows, many small tasks are merged; the
 * files read back as one dataset with every row once.
 */
class ParquetParamsFilesTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();
  private static final LayerRope LAYER = FakeTables.layer(null, 0.5, 8);

  static Outcome ok(int i) {
    return new Outcome(FakeTables.target(String.format(Locale.ROOT, "org/m%06d", i), 64, LAYER),
        Outcome.Status.OK, List.of(), List.of("sha-" + i), List.of(), null, null);
  }

  private long write(JavaRDD<Integer> models) {
    return new ParquetOutputs(spark, dir.toUri().toString(), JobOptions.DEFAULTS.settings())
        .writeParams(models.map(ParquetParamsFilesTest::ok));
  }

  private List<Path> parts() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve(OutputPaths.PARAMS))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  @Test
  void oneTaskWithManyOutcomesWritesBoundedFilesThatReadAsOneDataset() throws IOException {
    int n = 2 * (int) ParquetOutputs.PARAMS_ROWS_PER_FILE + 1;
    JavaRDD<Integer> models = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(IntStream.range(0, n).boxed().toList(), 1);

    assertEquals(n, write(models));

    List<Path> parts = parts();
    assertEquals(3, parts.size(), parts.toString());
    for (Path part : parts) {
      long rows = spark.read().parquet(part.toString()).count();
      assertTrue(rows <= ParquetOutputs.PARAMS_ROWS_PER_FILE, part + ": " + rows + " rows");
    }
    String params = dir.resolve(OutputPaths.PARAMS).toString();
    assertEquals(n, spark.read().parquet(params).count());
    assertEquals(n, spark.read().parquet(params).select("model_id", "context_length").distinct().count());
    Row row = spark.read().parquet(params).where("model_id = 'org/m000007'").first();
    assertEquals("sha-7", row.getAs("table_sha256"));
    assertEquals(64L, (long) row.getAs("context_length"));
  }

  @Test
  void manySmallTasksAreMergedIntoOneFilePerCore() throws IOException {
    JavaRDD<Integer> models = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(IntStream.range(0, 1000).boxed().toList(), 200);

    assertEquals(1000, write(models));

    assertEquals(spark.sparkContext().defaultParallelism(), parts().size(), parts().toString());
    assertEquals(1000, spark.read().parquet(dir.resolve(OutputPaths.PARAMS).toString()).count());
  }
}
