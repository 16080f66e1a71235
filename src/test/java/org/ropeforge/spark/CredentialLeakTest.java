package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.hardening.MalformedCorpus;

/**
 * Secrets given to the job on the command line and in the environment appear in none of its outputs: not in the
 * safetensors files, the Parquet datasets, the manifest or the completion marker on S3, not in Spark's event log,
 * and not in the driver's stdout, stderr and log4j output (at INFO). Then {@code verify} on the same s3a:// root.
 */
class CredentialLeakTest {
  @TempDir Path work;

  static final String SESSION_TOKEN = "FAKE-SESSION-TOKEN-" + UUID.randomUUID();
  static final String ENV_SECRET = "FAKE-ENV-SECRET-" + UUID.randomUUID();

  @Test
  void noSecretReachesAnyOutputOrLog() throws Exception {
    runAndScan(false);
  }

  /**
   * The key and secret written into the catalog and output URIs ({@code s3a://KEY:SECRET@bucket/...}), and in no
   * setting: the job reaches the bucket with them, and the same scan finds the secret nowhere, not even in the
   * event log, which records the JVM's command line.
   */
  @Test
  void aSecretInTheUrisIsUsedButNeverPrinted() throws Exception {
    runAndScan(true);
  }

  private void runAndScan(boolean credentialsInUris) throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(work)) {
      String bucket = "leak-" + UUID.randomUUID().toString().substring(0, 8);
      server.createBucket(bucket);
      Configuration conf = new Configuration();
      server.applyTo(conf);
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://" + bucket + "/");
      FileSystem fs = root.getFileSystem(conf);
      put(fs, "s3a://" + bucket + "/catalog/org/llama/config.json",
          MalformedCorpus.base("meta-llama__Llama-3.1-8B-Instruct.json"));
      put(fs, "s3a://" + bucket + "/catalog/org/broken/config.json", "{\"rope_theta\": ".getBytes(StandardCharsets.UTF_8));
      Path log4j = Files.writeString(work.resolve("log4j2.properties"), String.join("\n",
          "rootLogger.level = info", "rootLogger.appenderRef.stderr.ref = console",
          "appender.console.type = Console", "appender.console.name = console",
          "appender.console.target = SYSTEM_ERR", "appender.console.layout.type = PatternLayout",
          "appender.console.layout.pattern = %d %p %c: %m%n", ""));
      Path events = Files.createDirectories(work.resolve("events"));
      String out = "s3a://" + bucket + "/out";

      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(StandaloneCluster.jvmFlags());
      command.addAll(List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + log4j.toUri(),
          "-cp", System.getProperty("java.class.path"), PrecomputeMain.class.getName(),
          "--master", "local[2]", "--conf", "spark.ui.enabled=false",
          "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri(),
          // Plain text, so that the scan below can read it.
          "--conf", "spark.eventLog.compress=false"));
      Map<String, String> s3a = new LinkedHashMap<>(server.s3aSettings());
      String location = "s3a://" + bucket;
      if (credentialsInUris) {
        s3a.remove("fs.s3a.access.key");
        s3a.remove("fs.s3a.secret.key");
        location = "s3a://" + S3ProxyServer.ACCESS_KEY + ":" + S3ProxyServer.SECRET_KEY + "@" + bucket;
      } else {
        s3a.put("fs.s3a.session.token", SESSION_TOKEN);
      }
      s3a.forEach((key, value) -> command.addAll(List.of("--conf", "spark.hadoop." + key + "=" + value)));
      command.addAll(List.of("--catalog", location + "/catalog", "--out", location + "/out",
          "--context-lengths", "256", "--max-error-fraction", "0.5"));
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectOutput(work.resolve("stdout.log").toFile())
          .redirectError(work.resolve("stderr.log").toFile());
      builder.environment().put("AWS_SECRET_ACCESS_KEY", ENV_SECRET);
      builder.environment().put("AWS_SESSION_TOKEN", ENV_SECRET);
      Process job = builder.start();
      assertTrue(job.waitFor(240, TimeUnit.SECONDS), "job finished");
      String stderr = Files.readString(work.resolve("stderr.log"));
      assertEquals(0, job.exitValue(), stderr);
      assertTrue(stderr.contains("manifest: 2 rows (1 ok, 0 skipped, 1 errors)"), stderr);
      assertTrue(stderr.contains(" INFO "), "log4j output at INFO is captured");

      Map<String, byte[]> captured = new LinkedHashMap<>();
      RemoteIterator<LocatedFileStatus> objects = fs.listFiles(new org.apache.hadoop.fs.Path(out), true);
      while (objects.hasNext()) {
        org.apache.hadoop.fs.Path p = objects.next().getPath();
        try (InputStream in = fs.open(p)) {
          captured.put(p.toString(), in.readAllBytes());
        }
      }
      assertTrue(captured.containsKey(out + "/manifest.jsonl") && captured.containsKey(out + "/_ROPEFORGE_COMPLETE")
          && captured.keySet().stream().anyMatch(k -> k.contains("/parquet/params/")), captured.keySet().toString());
      try (Stream<Path> files = Files.walk(work)) {
        for (Path p : files.filter(Files::isRegularFile).toList()) {
          if (p.startsWith(events) || p.getFileName().toString().endsWith(".log") && !p.endsWith("s3proxy.log")) {
            captured.put(p.toString(), Files.readAllBytes(p));
          }
        }
      }
      // Spark 4 writes rolling event logs: a folder with an empty appstatus marker, the events file(s), and
      // Hadoop's hidden .crc files beside them. Directory order decides which one a walk meets first, so take
      // the largest: the events.
      String eventFiles = captured.entrySet().stream().filter(e -> e.getKey().contains("/events/"))
          .map(e -> e.getKey() + " (" + e.getValue().length + " bytes)").toList().toString();
      String eventLog = captured.entrySet().stream()
          .filter(e -> e.getKey().contains("/events/") && !Path.of(e.getKey()).getFileName().toString().startsWith("."))
          .max(java.util.Comparator.comparingInt(e -> e.getValue().length))
          .map(e -> new String(e.getValue(), StandardCharsets.UTF_8)).orElseThrow();
      // Positive control: the scan looks where a secret would be, since the event log lists the settings with
      // their values redacted.
      String secretKey = credentialsInUris ? "spark.hadoop.fs.s3a.bucket." + bucket + ".secret.key"
          : "spark.hadoop.fs.s3a.secret.key";
      assertTrue(eventLog.contains("\"" + secretKey + "\":\"*********(redacted)\""), eventFiles + "\n" + eventLog);
      if (credentialsInUris) {
        assertTrue(eventLog.contains("\"sun.java.command\":\"*********(redacted)\""), eventFiles + "\n" + eventLog);
      } else {
        assertTrue(eventLog.contains("\"spark.hadoop.fs.s3a.session.token\":\"*********(redacted)\""),
            eventFiles + "\n" + eventLog);
      }

      VerifyTest.Result clean = VerifyTest.verify(new Configuration(), verifyArgs(server, location + "/out",
          credentialsInUris));
      assertEquals(0, clean.exit(), clean.out() + clean.err());
      assertEquals("verify: 1 files checked, 0 mismatches\n", clean.out());
      captured.put("verify output", (clean.out() + clean.err()).getBytes(StandardCharsets.UTF_8));

      List<String> leaks = new ArrayList<>();
      for (String secret : List.of(S3ProxyServer.SECRET_KEY, SESSION_TOKEN, ENV_SECRET)) {
        captured.forEach((name, bytes) -> {
          if (new String(bytes, StandardCharsets.ISO_8859_1).contains(secret)) {
            leaks.add(secret + " in " + name);
          }
        });
      }
      assertTrue(leaks.isEmpty(), "secrets found:\n" + String.join("\n", leaks));

      String file = out + "/safetensors/org/llama/rope-256.safetensors";
      fs.delete(new org.apache.hadoop.fs.Path(file), false);
      VerifyTest.Result missing = VerifyTest.verify(new Configuration(), verifyArgs(server, location + "/out",
          credentialsInUris));
      assertEquals(1, missing.exit(), missing.out() + missing.err());
      assertTrue(missing.out().contains(file + ": missing"), missing.out());
    }
  }

  private static String[] verifyArgs(S3ProxyServer server, String out, boolean credentialsInUris) {
    List<String> args = new ArrayList<>(List.of("--out", out));
    server.s3aSettings().forEach((key, value) -> {
      if (!credentialsInUris || !key.endsWith(".access.key") && !key.endsWith(".secret.key")) {
        args.addAll(List.of("--conf", key + "=" + value));
      }
    });
    return args.toArray(String[]::new);
  }

  private static void put(FileSystem fs, String uri, byte[] bytes) throws IOException {
    try (var stream = fs.create(new org.apache.hadoop.fs.Path(uri), true)) {
      stream.write(bytes);
    }
  }
}
