package org.ropeforge.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link RunRecoveryScenarios} with the outputs on s3a:// against S3Proxy on loopback (its filesystem provider,
 * so that a gigabyte does not have to fit its heap). Parts of 5 MB make every table file a multipart upload, so
 * that a killed driver leaves uploads open, as it does on S3.
 */
class RunRecoveryS3Test extends RunRecoveryScenarios {
  @TempDir static Path dir;

  private static S3ProxyServer server;
  private static String bucket;

  /** Small parts: every file goes up in several, so that a kill leaves open uploads behind. */
  private static final Map<String, String> PARTS = Map.of("fs.s3a.multipart.size", "5M",
      "fs.s3a.multipart.threshold", "5M");

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start(dir.resolve("s3"), "filesystem", "-Xmx512m");
    bucket = "recovery-" + UUID.randomUUID().toString().substring(0, 8);
    server.createBucket(bucket);
    server.applyTo(SharedSpark.session().sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  String root(String name) {
    return "s3a://" + bucket + "/" + name;
  }

  @Override
  Path work() {
    return dir;
  }

  /** 16 MiB files: 256 MiB in all, each file several parts. */
  @Override
  long length() {
    return 32_768;
  }

  @Override
  List<String> childConf() {
    List<String> conf = new ArrayList<>();
    server.s3aSettings().forEach((key, value) -> conf.addAll(List.of("--conf", "spark.hadoop." + key + "=" + value)));
    PARTS.forEach((key, value) -> conf.addAll(List.of("--conf", "spark.hadoop." + key + "=" + value)));
    return conf;
  }

  @Override
  int openUploads(String root) throws IOException {
    S3AFileSystem s3 = (S3AFileSystem) fs(root);
    return s3.listMultipartUploads(root.substring(("s3a://" + bucket + "/").length()) + "/").size();
  }

  @Override
  void plantLeftovers(String root) throws IOException {
    String key = root.substring(("s3a://" + bucket + "/").length()) + "/safetensors/org/m0/rope-" + length()
        + ".safetensors";
    try (S3Client s3 = server.client()) {
      String upload = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
      s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(upload).partNumber(1),
          RequestBody.fromBytes(new byte[5 << 20]));
    }
    // The check of "no upload left open" means something only if the store lists the uploads it has.
    org.junit.jupiter.api.Assertions.assertTrue(openUploads(root) >= 1, "the planted upload is listed");
  }
}
