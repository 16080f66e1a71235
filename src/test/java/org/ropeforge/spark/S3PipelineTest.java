package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.io.AtomicOutput;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;

/** Catalog and outputs on s3a:// against S3Proxy on loopback: listing, writing, visibility, re-run. */
class S3PipelineTest {
  @TempDir static Path work;

  private static S3ProxyServer server;
  private static String bucket;
  private static final SparkSession spark = SharedSpark.session();

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start(work);
    bucket = "ropeforge-" + UUID.randomUUID().toString().substring(0, 8);
    server.createBucket(bucket);
    server.applyTo(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static HadoopConf conf() {
    return new HadoopConf(spark.sparkContext().hadoopConfiguration());
  }

  private static void put(String key, byte[] data) throws IOException {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("s3a://" + bucket + "/" + key);
    try (var out = conf().fileSystem(path).create(path, true)) {
      out.write(data);
    }
  }

  private static byte[] get(String uri) throws IOException {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    try (InputStream in = conf().fileSystem(path).open(path)) {
      return in.readAllBytes();
    }
  }

  @Test
  void anS3ObjectAppearsOnlyWhenItsUploadCompletes() throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("s3a://" + bucket + "/visibility/a.bin");
    FileSystem fs = conf().fileSystem(target);
    assertTrue(AtomicOutput.publishesAtClose(fs, target));

    try (AtomicOutput aborted = AtomicOutput.create(fs, target)) {
      aborted.write(new byte[1000]);
    }
    assertFalse(fs.exists(target), "an aborted upload publishes nothing");

    AtomicOutput out = AtomicOutput.create(fs, target);
    out.write("complete".getBytes(StandardCharsets.UTF_8));
    assertFalse(fs.exists(target), "not visible while being written");
    AtomicOutput.Written written = out.commit();

    assertEquals("complete", new String(get(target.toString()), StandardCharsets.UTF_8));
    assertEquals(Sha256.hex("complete".getBytes(StandardCharsets.UTF_8)), written.sha256());
  }

  @Test
  void theJobReadsAnS3CatalogAndWritesToS3AndSkipsOnReRun() throws IOException {
    put("catalog/org/llama/config.json", PipelineTest.LLAMA.getBytes(StandardCharsets.UTF_8));
    put("catalog/org/llama-long/config.json",
        PipelineTest.LLAMA.replace("256", "1024").getBytes(StandardCharsets.UTF_8));
    put("catalog/bad/broken/config.json", "[1, 2".getBytes(StandardCharsets.UTF_8));
    String out = "s3a://" + bucket + "/out";
    JobOptions options = new JobOptions("s3a://" + bucket + "/catalog", out, null,
        JobOptions.PRECISION_DEFAULT, JobOptions.SEMANTICS_DEFAULT, Layout.HALF, Dtype.F32,
        Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), true, false, 0.5);

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
    List<JsonNode> lines = new ArrayList<>();
    for (String line : new String(get(out + "/manifest.jsonl"), StandardCharsets.UTF_8).split("\n")) {
      lines.add(TestJson.JSON.readTree(line));
    }
    assertEquals(List.of("bad/broken", "org/llama", "org/llama-long"),
        lines.stream().map(l -> l.get("model_id").asText()).toList());
    assertEquals("error", lines.get(0).get("status").asText());
    JsonNode file = lines.get(2).get("files").get(0);
    assertEquals("safetensors/org/llama-long/rope-1024.safetensors", file.get("path").asText());
    byte[] bytes = get(out + "/" + file.get("path").asText());
    assertEquals(file.get("sha256").asText(), Sha256.hex(bytes));
    Path copy = Files.write(work.resolve("from-s3.safetensors"), bytes);
    org.ropeforge.format.Safetensors.Header header = org.ropeforge.format.Safetensors.read(copy);
    assertEquals("org/llama-long", header.metadata().get("model_id"));
    assertEquals(bytes.length, header.fileSize());
    assertEquals(2, spark.read().parquet(out + "/parquet/params").count());
    assertEquals(256 + 1024, spark.read().parquet(out + "/parquet/tables").count(),
        "the per-position dataset goes through the S3A committer too");
    assertTrue(conf().fileSystem(new org.apache.hadoop.fs.Path(out))
        .exists(new org.apache.hadoop.fs.Path(out, OutputPaths.COMPLETE_MARKER)));

    ByteArrayOutputStream again = new ByteArrayOutputStream();
    int rerun = PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(again, true, StandardCharsets.UTF_8));

    assertEquals(0, rerun, again.toString(StandardCharsets.UTF_8));
    assertTrue(again.toString(StandardCharsets.UTF_8).contains("manifest: 3 rows (0 ok, 2 skipped, 1 errors)"),
        again.toString(StandardCharsets.UTF_8));
    assertEquals(256 + 1024, spark.read().parquet(out + "/parquet/tables").count(),
        "a re-run that skips current outputs keeps their table partitions");
    assertEquals(Files.exists(work.resolve("s3proxy.log")), true);
  }

  @Test
  void theContentAddressedStoreWorksOnS3() throws Exception {
    put("ca/configs/a.json", ContentAddressedStoreTest.BASE_A.getBytes(StandardCharsets.UTF_8));
    put("ca/configs/b.json", ContentAddressedStoreTest.BASE_B.getBytes(StandardCharsets.UTF_8));
    Path localCatalog =
        Files.write(work.resolve("ca-catalog.jsonl"), ContentAddressedStoreTest.catalogLines("configs/"));
    put("ca/catalog.jsonl", Files.readAllBytes(localCatalog));
    Configuration verifyConf = new Configuration();
    server.applyTo(verifyConf);

    ContentAddressedStoreTest.checkStore(spark, verifyConf, "s3a://" + bucket + "/ca/catalog.jsonl",
        "s3a://" + bucket + "/ca/out", localCatalog, "configs/");
  }
}
