package org.ropeforge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UriCredentialsTest {
  private final Map<String, String> settings = new LinkedHashMap<>();

  @Test
  void anS3KeyAndSecretMoveToTheBucketsSettings() {
    String clean = UriCredentials.extract("s3a://AKIDEXAMPLE:wJalr%2FK7MDENG%2Bbx@models-bucket/registry/out",
        "Option 'out'", settings::put);

    assertEquals("s3a://models-bucket/registry/out", clean);
    assertEquals(Map.of("fs.s3a.bucket.models-bucket.access.key", "AKIDEXAMPLE",
        "fs.s3a.bucket.models-bucket.secret.key", "wJalr/K7MDENG+bx"), settings);
  }

  @Test
  void uriWithoutAPasswordAreLeftAsTheyAre() {
    for (String uri : new String[] {"s3a://bucket/out", "hdfs://etl@namenode:8020/out", "/local/out", "out",
        "file:/tmp/x"}) {
      assertEquals(uri, UriCredentials.extract(uri, "Option 'out'", settings::put));
      assertFalse(UriCredentials.hasPassword(uri), uri);
    }
    assertEquals(Map.of(), settings);
  }

  @Test
  void aPasswordInAnotherSchemeIsRefusedWithoutShowingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UriCredentials.extract("ftp://user:hunter2@files.example/catalog", "Option 'catalog'", settings::put));

    assertEquals("Option 'catalog' ftp://files.example/catalog has a password in its URI, which would be printed"
        + " wherever the URI is; give the credentials through the filesystem's configuration instead",
        e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"));
  }

  @Test
  void redactionHidesEveryUserInfoWithAPassword() {
    String text = "java Main --catalog s3a://KEY:SECRET@b/c --out hdfs://etl@nn/out --x ftp://u:p@h/y";

    assertEquals("java Main --catalog s3a://***@b/c --out hdfs://etl@nn/out --x ftp://***@h/y",
        UriCredentials.redact(text));
    assertTrue(text.matches(".*" + UriCredentials.USERINFO_WITH_PASSWORD + ".*"), "the redaction pattern finds it");
  }
}
