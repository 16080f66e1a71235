package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.io.HadoopConf;

class CatalogTest {
  @TempDir Path dir;

  private final HadoopConf conf = new HadoopConf(new Configuration());

  private void file(String relative, String text) throws IOException {
    Path path = dir.resolve(relative);
    Files.createDirectories(path.getParent());
    Files.writeString(path, text);
  }

  @Test
  void aFolderTreeListsEveryConfigWithItsRelativeFolderAsId() throws IOException {
    file("tree/meta-llama/Llama-3.1-8B/config.json", "{}");
    file("tree/Qwen/Qwen3-8B/config.json", "{}");
    file("tree/deep/er/org/model/config.json", "{}");
    file("tree/meta-llama/Llama-3.1-8B/tokenizer.json", "{}");
    file("tree/config.json", "{}");

    List<CatalogEntry> entries = Catalog.list(dir.resolve("tree").toUri().toString(), conf);

    assertEquals(List.of("", "Qwen/Qwen3-8B", "deep/er/org/model", "meta-llama/Llama-3.1-8B"),
        entries.stream().map(CatalogEntry::modelId).toList());
    assertEquals(dir.resolve("tree/Qwen/Qwen3-8B/config.json").toUri().getPath(),
        java.net.URI.create(entries.get(1).configUri()).getPath());
    assertNull(entries.get(1).contextLengths());
  }

  @Test
  void aManifestResolvesConfigsAgainstItsFolderAndKeepsContextLengths() throws IOException {
    file("m/configs/a.json", "{}");
    file("m/catalog.jsonl", String.join("\n",
        "{\"model_id\": \"org/a\", \"config\": \"configs/a.json\", \"context_lengths\": [4096, 8192]}",
        "",
        "{\"model_id\": \"org/abs\", \"config\": \"" + dir.resolve("m/configs/a.json") + "\"}",
        "{\"model_id\": \"org/uri\", \"config\": \"file:///elsewhere/b.json\"}",
        "not json",
        "{\"model_id\": \"org/bad-lengths\", \"config\": \"x.json\", \"context_lengths\": [1.5]}",
        "{\"config\": \"x.json\"}",
        "{\"model_id\": \"org/a\", \"config\": \"configs/again.json\"}"));

    List<CatalogEntry> entries = Catalog.list(dir.resolve("m/catalog.jsonl").toString(), conf);

    assertEquals(7, entries.size());
    CatalogEntry a = entries.stream().filter(e -> e.modelId().equals("org/a") && e.problem() == null)
        .findFirst().orElseThrow();
    assertEquals("file:" + dir.resolve("m/configs/a.json"), a.configUri());
    assertArrayEquals(new long[] {4096, 8192}, a.contextLengths());
    CatalogEntry abs = entries.stream().filter(e -> e.modelId().equals("org/abs")).findFirst().orElseThrow();
    assertEquals("file:" + dir.resolve("m/configs/a.json"), abs.configUri());
    CatalogEntry uri = entries.stream().filter(e -> e.modelId().equals("org/uri")).findFirst().orElseThrow();
    assertEquals("file:/elsewhere/b.json", uri.configUri());
    assertEquals(List.of(
            "Catalog catalog.jsonl line 5 is not JSON: Unrecognized token 'not': was expecting"
                + " (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            "Catalog catalog.jsonl line 7 has no text 'model_id'",
            "Catalog lists model 'org/a' more than once; file:" + dir.resolve("m/configs/again.json") + " ignored",
            "Catalog catalog.jsonl line 6: 'context_lengths' has 1.5, which is not an integer"),
        entries.stream().filter(e -> e.problem() != null).map(CatalogEntry::problem).toList());
  }

  @Test
  void anOverlongManifestLineIsAnErrorRowAndTheNextLinesStillCount() throws IOException {
    file("m/configs/a.json", "{}");
    file("m/catalog.jsonl", "{\"model_id\": \"org/a\", \"config\": \"configs/a.json\"}\n"
        + "{\"model_id\": \"" + "x".repeat(Catalog.MAX_MANIFEST_LINE_CHARS * 4) + "\"}\n"
        + "{\"model_id\": \"org/b\", \"config\": \"configs/a.json\"}");

    List<CatalogEntry> entries = Catalog.list(dir.resolve("m/catalog.jsonl").toString(), conf);

    assertEquals(List.of("catalog.jsonl line 2", "org/a", "org/b"),
        entries.stream().map(CatalogEntry::modelId).sorted().toList());
    assertEquals("Catalog catalog.jsonl line 2 is longer than 65536 characters",
        entries.stream().filter(e -> e.problem() != null).findFirst().orElseThrow().problem());
  }

  @Test
  void aMissingCatalogIsAnErrorNamingIt() {
    String missing = dir.resolve("nothing-here").toString();

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Catalog.list(missing, conf));

    assertEquals("Catalog " + missing + " does not exist", e.getMessage());
  }
}
