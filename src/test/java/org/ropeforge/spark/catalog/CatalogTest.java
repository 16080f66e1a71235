package org.ropeforge.spark.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.config.CatalogManifest;
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

    List<CatalogEntry> entries = CatalogReader.list(dir.resolve("tree").toUri().toString(), conf);

    assertEquals(List.of("", "Qwen/Qwen3-8B", "deep/er/org/model", "meta-llama/Llama-3.1-8B"),
        entries.stream().map(CatalogEntry::modelId).toList());
    assertEquals(dir.resolve("tree/Qwen/Qwen3-8B/config.json").toUri().getPath(),
        java.net.URI.create(entries.get(1).config()).getPath());
    assertEquals(List.of(), entries.get(1).contextLengths());
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

    List<CatalogEntry> entries = CatalogReader.list(dir.resolve("m/catalog.jsonl").toString(), conf);

    assertEquals(7, entries.size());
    CatalogEntry a = entries.stream().filter(e -> e.modelId().equals("org/a") && e.usable())
        .findFirst().orElseThrow();
    assertEquals("file:" + dir.resolve("m/configs/a.json"), a.config());
    assertEquals(List.of(4096L, 8192L), a.contextLengths());
    CatalogEntry abs = entries.stream().filter(e -> e.modelId().equals("org/abs")).findFirst().orElseThrow();
    assertEquals("file:" + dir.resolve("m/configs/a.json"), abs.config());
    CatalogEntry uri = entries.stream().filter(e -> e.modelId().equals("org/uri")).findFirst().orElseThrow();
    assertEquals("file:/elsewhere/b.json", uri.config());
    assertEquals(List.of(
            "Catalog catalog.jsonl line 5 is not JSON: Unrecognized token 'not': was expecting"
                + " (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            "Catalog catalog.jsonl line 7: model_id = absent must be a non-empty string",
            "Catalog lists model 'org/a' more than once; file:" + dir.resolve("m/configs/again.json") + " ignored",
            "Catalog catalog.jsonl line 6: context_lengths[0] = 1.5 must be a whole number >= 1 and <= 1073741824"),
        entries.stream().filter(e -> !e.usable()).map(e -> e.defect().message()).toList());
    assertEquals(List.of("catalog", "model_id", "catalog", "context_lengths[0]"),
        entries.stream().filter(e -> !e.usable()).map(e -> e.defect().field()).toList());
  }

  @Test
  void anOverlongManifestLineIsAnErrorRowAndTheNextLinesStillCount() throws IOException {
    file("m/configs/a.json", "{}");
    file("m/catalog.jsonl", "{\"model_id\": \"org/a\", \"config\": \"configs/a.json\"}\n"
        + "{\"model_id\": \"" + "x".repeat(CatalogManifest.MAX_LINE_CHARS * 4) + "\"}\n"
        + "{\"model_id\": \"org/b\", \"config\": \"configs/a.json\"}");

    List<CatalogEntry> entries = CatalogReader.list(dir.resolve("m/catalog.jsonl").toString(), conf);

    assertEquals(List.of("catalog.jsonl line 2", "org/a", "org/b"),
        entries.stream().map(CatalogEntry::modelId).sorted().toList());
    assertEquals("Catalog catalog.jsonl line 2 is longer than 65536 characters",
        entries.stream().filter(e -> !e.usable()).findFirst().orElseThrow().defect().message());
  }

  @Test
  void aManifestReadInPartsGivesEveryEntryOnceWithItsLineNumber() throws IOException {
    file("m/configs/a.json", "{}");
    file("m/catalog.jsonl", String.join("\n",
        "{\"model_id\": \"org/a\", \"config\": \"configs/a.json\", \"context_lengths\": [4096]}",
        "",
        "not json",
        "{\"model_id\": \"" + "x".repeat(CatalogManifest.MAX_LINE_CHARS + 1) + "\"}",
        "  ",
        "{\"model_id\": \"org/\u00e9\", \"config\": \"configs/a.json\"}",
        "{\"model_id\": \"org/a\", \"config\": \"configs/again.json\"}") + "\n\n");
    String manifest = dir.resolve("m/catalog.jsonl").toString();
    long size = Files.size(dir.resolve("m/catalog.jsonl"));

    List<CatalogReader.ManifestSplit> whole = CatalogReader.manifestSplits(manifest, conf, 1, Long.MAX_VALUE);
    assertEquals(1, whole.size());
    List<CatalogReader.Listed> expected = CatalogReader.read(whole.get(0), conf);
    assertEquals(List.of(1L, 3L, 4L, 6L, 7L), expected.stream().map(CatalogReader.Listed::line).toList());
    assertEquals("Catalog catalog.jsonl line 4 is longer than 65536 characters",
        expected.get(2).entry().defect().message());
    assertEquals("file:" + dir.resolve("m/configs/again.json"), expected.get(4).entry().config());
    for (long bytes : new long[] {1, 2, 50, 100, CatalogManifest.MAX_LINE_CHARS, size - 1, size}) {
      List<CatalogReader.ManifestSplit> splits = CatalogReader.manifestSplits(manifest, conf, 1, bytes);
      List<CatalogReader.Listed> read = new java.util.ArrayList<>();
      long end = 0;
      for (CatalogReader.ManifestSplit split : splits) {
        assertEquals(end, split.start());
        end = split.end();
        read.addAll(CatalogReader.read(split, conf));
      }
      assertEquals(size, end);
      assertEquals(expected, read, "parts of " + bytes + " bytes");
    }
    assertEquals(2, CatalogReader.manifestSplits(manifest, conf, 2, Long.MAX_VALUE).size());
  }

  @Test
  void aFolderTreeHasNoManifestParts() throws IOException {
    file("tree/org/a/config.json", "{}");

    assertEquals(null, CatalogReader.manifestSplits(dir.resolve("tree").toString(), conf, 2, 1 << 20));
  }

  @Test
  void aMissingCatalogIsAnErrorNamingIt() {
    String missing = dir.resolve("nothing-here").toString();

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CatalogReader.list(missing, conf));

    assertEquals("Catalog " + missing + " does not exist", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CatalogReader.manifestSplits(missing, conf, 2, 1 << 20));
    assertEquals("Catalog " + missing + " does not exist", e.getMessage());
  }
}
