package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one grammar of a catalog line, as params, the job and the GPU harness all read it. */
class CatalogManifestTest {
  private static List<CatalogEntry> read(String text) throws IOException {
    return CatalogManifest.readAll(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "c.jsonl");
  }

  @Test
  void aGoodLineAndItsDefaults() throws IOException {
    List<CatalogEntry> entries = read("{\"model_id\": \"org/a\", \"config\": \"a.json\", \"context_lengths\": [8,"
        + " 1073741824]}\n\n{\"model_id\": \"org/b\", \"config\": \"b.json\", \"context_lengths\": null}");

    assertEquals(List.of(CatalogEntry.of("org/a", "a.json", List.of(8L, 1L << 30)),
        CatalogEntry.of("org/b", "b.json", List.of())), entries);
  }

  @Test
  void eachBrokenLineNamesItsFieldValueAndRule() throws IOException {
    List<CatalogEntry> entries = read(String.join("\n",
        "[1]",
        "{\"model_id\": \"\", \"config\": \"a.json\"}",
        "{\"model_id\": 7, \"config\": \"a.json\"}",
        "{\"model_id\": \"org/a\"}",
        "{\"model_id\": \"org/a\", \"config\": \"a.json\", \"context_lengths\": []}",
        "{\"model_id\": \"org/a\", \"config\": \"a.json\", \"context_lengths\": [4096, 1073741825]}",
        "{\"model_id\": \"org/a\", \"config\": \"s3a://AKID:topsecret@bucket/a.json\"}"));

    assertEquals(List.of(
        new CatalogEntry.Defect("catalog", "[1]", "Catalog c.jsonl line 1 is not a JSON object"),
        new CatalogEntry.Defect("model_id", "", "Catalog c.jsonl line 2: model_id is empty"),
        new CatalogEntry.Defect("model_id", "7", "Catalog c.jsonl line 3: model_id = 7 must be a non-empty string"),
        new CatalogEntry.Defect("config", null, "Catalog c.jsonl line 4: config = absent must be a non-empty string"
            + " (a path or URI of the config.json)"),
        new CatalogEntry.Defect("context_lengths", "[]", "Catalog c.jsonl line 5: context_lengths = [] must be a"
            + " non-empty list of whole numbers"),
        new CatalogEntry.Defect("context_lengths[1]", "1073741825", "Catalog c.jsonl line 6: context_lengths[1] ="
            + " 1073741825 must be a whole number >= 1 and <= 1073741824"),
        new CatalogEntry.Defect("config", "s3a://***@bucket/a.json", "Catalog c.jsonl line 7: config ="
            + " s3a://***@bucket/a.json has a password in its URI, which would be printed wherever the URI is;"
            + " give the credentials through the filesystem's configuration instead")),
        entries.stream().map(CatalogEntry::defect).toList());
    assertEquals(List.of("c.jsonl line 1", "", "c.jsonl line 3", "org/a", "org/a", "org/a", "org/a"),
        entries.stream().map(CatalogEntry::modelId).toList());
    assertFalse(entries.toString().contains("topsecret"));
  }

  @Test
  void anOverlongLineIsRefusedAndTheNextOneStillCounts() throws IOException {
    List<CatalogEntry> entries = read("x".repeat(CatalogManifest.MAX_LINE_CHARS + 1) + "\n"
        + "{\"model_id\": \"org/a\", \"config\": \"a.json\"}");

    assertEquals("Catalog c.jsonl line 1 is longer than 65536 characters", entries.get(0).defect().message());
    assertNull(entries.get(1).defect());
  }
}
