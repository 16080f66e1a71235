package org.ropeforge.spark.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.core.LayerRope;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.Target;

class GroupWriterTest {
  @TempDir Path out;

  private final FakeTables tables = new FakeTables();

  /** Targets with no earlier rows, as a first run plans them. */
  private static List<PlannedOutput> fresh(List<Target> targets) {
    return targets.stream().map(t -> new PlannedOutput(t, null)).toList();
  }

  /** Targets with the rows of {@code previous}, as a re-run plans them. */
  private static List<PlannedOutput> against(List<Target> targets, Map<String, Manifest.Row> previous) {
    return targets.stream()
        .map(t -> new PlannedOutput(t, previous.get(Manifest.key(t.modelId(), t.contextLength())))).toList();
  }

  private GroupWriter writer() {
    return writer(false);
  }

  private GroupWriter writer(boolean shared) {
    return new GroupWriter(new HadoopConf(new Configuration()), out.toUri().toString(), true, tables, WriteHooks.NONE,
        "test-run", shared);
  }

  @Test
  void everyTargetGetsItsPrefixOfTheSharedTable() throws IOException {
    LayerRope a = FakeTables.layer(null, 0.5, 8);
    List<Target> group = List.of(
        FakeTables.target("org/long", 700_000, a),
        FakeTables.target("org/short", 3, a),
        FakeTables.target("org/long", 5, a));
    WriteCounters counters = new WriteCounters();

    List<Outcome> outcomes = writer().write(fresh(group), counters);

    assertEquals(3, outcomes.size());
    for (Outcome outcome : outcomes) {
      assertEquals(Outcome.Status.OK, outcome.status(), () -> String.valueOf(outcome.error()));
      Target t = outcome.target();
      byte[] expected = tables.expectedFile(t);
      byte[] actual = Files.readAllBytes(out.resolve(OutputPaths.safetensors(t.modelId(), t.contextLength())));
      assertArrayEquals(expected, actual, t.modelId() + " at " + t.contextLength());
      assertEquals(expected.length, outcome.files().get(0).bytes());
      assertEquals(Sha256.hex(expected), outcome.files().get(0).sha256());
      int tableStart = tables.header(t).length + tables.layerPrefix(a).length;
      byte[] table = java.util.Arrays.copyOfRange(expected, tableStart, expected.length);
      assertEquals(List.of(Sha256.hex(table)), outcome.tableSha256());
    }
    assertEquals(3, counters.tables());
    assertEquals((700_000L + 3 + 5) * 8 * 2, counters.bytes());
  }

  @Test
  void rowsInNativeMemoryGiveTheFilesAndDigestsOfArrays() throws IOException {
    FakeTables pinned = FakeTables.withNativeViews();
    // 6-byte rows: chunks that are no whole number of blocks; a million rows: two chunks per part.
    LayerRope a = FakeTables.layer(null, 0.5, 6);
    LayerRope b = FakeTables.layer(null, 0.125, 2);
    List<Target> group = List.of(
        FakeTables.target("org/long", 1_000_000, a, b),
        FakeTables.target("org/short", 3, a, b),
        FakeTables.target("org/mid", 700_001, a, b));
    for (boolean shared : new boolean[] {false, true}) {
      Path root = out.resolve(shared ? "shared" : "per-model");
      GroupWriter writer = new GroupWriter(new HadoopConf(new Configuration()), root.toUri().toString(), true,
          pinned, WriteHooks.NONE, "test-run", shared);

      List<Outcome> outcomes = writer.write(fresh(group), new WriteCounters());

      assertEquals(3, outcomes.size());
      for (Outcome outcome : outcomes) {
        assertEquals(Outcome.Status.OK, outcome.status(), () -> String.valueOf(outcome.error()));
        Target t = outcome.target();
        byte[] expected = shared ? tables.expectedSharedFile(t) : tables.expectedFile(t);
        byte[] actual = Files.readAllBytes(root.resolve(outcome.files().get(0).path()));
        assertArrayEquals(expected, actual, t.modelId() + (shared ? " shared" : ""));
        assertEquals(Sha256.hex(expected), outcome.files().get(0).sha256());
        int at = (shared ? tables.sharedHeader(t) : tables.header(t)).length;
        for (int layer = 0; layer < 2; layer++) {
          LayerRope spec = t.layers().get(layer);
          at += tables.layerPrefix(spec).length;
          int tableBytes = (int) (2 * t.contextLength() * tables.rowBytes(spec));
          assertEquals(Sha256.hex(java.util.Arrays.copyOfRange(expected, at, at + tableBytes)),
              outcome.tableSha256().get(layer), t.modelId() + " layer " + layer);
          at += tableBytes;
        }
      }
    }
  }

  @Test
  void layersAreStoredOneAfterTheOther() throws IOException {
    Target gemma = FakeTables.target("google/two-types", 70, FakeTables.layer("full_attention", 0.25, 4),
        FakeTables.layer("sliding_attention", 0.75, 6));

    Outcome outcome = writer().write(fresh(List.of(gemma)), new WriteCounters()).get(0);

    assertEquals(Outcome.Status.OK, outcome.status());
    assertArrayEquals(tables.expectedFile(gemma), Files.readAllBytes(out.resolve(outcome.files().get(0).path())));
    assertEquals(2, outcome.tableSha256().size());
  }

  @Test
  void aTableThatCannotBeComputedLeavesNoFileAndErrorRows() throws IOException {
    LayerRope poisoned = FakeTables.layer(null, FakeTables.POISON, 4);
    List<Target> group = List.of(FakeTables.target("a/x", 10, poisoned), FakeTables.target("b/y", 10, poisoned));

    List<Outcome> outcomes = writer().write(fresh(group), new WriteCounters());

    for (Outcome outcome : outcomes) {
      assertEquals(Outcome.Status.ERROR, outcome.status());
      assertEquals("table", outcome.error().field());
      assertEquals("Cannot compute table: IllegalStateException: poisoned layer", outcome.error().message());
    }
    try (Stream<Path> files = Files.walk(out)) {
      assertEquals(List.of(), files.filter(Files::isRegularFile).toList(), "no file, complete or temporary");
    }
  }

  @Test
  void aCurrentOutputIsSkippedAndAChangedOneRewritten() throws IOException {
    LayerRope a = FakeTables.layer(null, 0.5, 4);
    Target first = FakeTables.target("m/one", 40, a);
    Target second = FakeTables.target("m/two", 40, a);
    List<Outcome> before = writer().write(fresh(List.of(first, second)), new WriteCounters());
    Map<String, Manifest.Row> previous = new HashMap<>();
    for (Outcome o : before) {
      Manifest.Row line = Manifest.parse(Manifest.toJson(o));
      previous.put(line.key(), line);
    }
    Path secondFile = out.resolve(OutputPaths.safetensors("m/two", 40));
    Files.write(secondFile, new byte[] {1, 2, 3});
    WriteCounters counters = new WriteCounters();

    List<Outcome> after = writer().write(against(List.of(first, second), previous), counters);

    assertEquals(Outcome.Status.SKIPPED, after.get(0).status());
    assertEquals(before.get(0).files(), after.get(0).files());
    assertEquals(before.get(0).tableSha256(), after.get(0).tableSha256());
    assertEquals(Outcome.Status.OK, after.get(1).status(), "size differs from the manifest: rewritten");
    assertArrayEquals(tables.expectedFile(second), Files.readAllBytes(secondFile));
    assertEquals(1, counters.tables());
  }

  @Test
  void aChangedInputIsNotReused() {
    LayerRope a = FakeTables.layer(null, 0.5, 4);
    Target target = FakeTables.target("m/one", 40, a);
    Outcome before = writer().write(fresh(List.of(target)), new WriteCounters()).get(0);
    Manifest.Row line = Manifest.parse(Manifest.toJson(before));
    Target changed = new Target("m/one", 40, target.configUri(), "other", "other-input", target.layers(), null);

    assertTrue(line.reusableFor(target));
    assertFalse(line.reusableFor(changed));
    assertFalse(Manifest.parse("{\"model_id\":\"m\",\"context_length\":null,\"status\":\"error\"}")
        .reusableFor(target));
    assertNull(Manifest.parseOrNull("not json"));
  }

  @Test
  void theContentAddressedStoreWritesEachDistinctTableOnceAndPointsEveryTargetToIt() throws IOException {
    LayerRope a = FakeTables.layer(null, 0.5, 4);
    List<Target> group = List.of(FakeTables.target("org/base", 40, a), FakeTables.target("org/fine-tune-1", 40, a),
        FakeTables.target("org/fine-tune-2", 40, a), FakeTables.target("org/base", 10, a));
    WriteCounters counters = new WriteCounters();

    List<Outcome> outcomes = writer(true).write(fresh(group), counters);

    assertEquals(4, outcomes.size());
    Map<String, String> pathOf = new HashMap<>();
    for (Outcome o : outcomes) {
      assertEquals(Outcome.Status.OK, o.status(), () -> String.valueOf(o.error()));
      String path = o.files().get(0).path();
      assertEquals(OutputPaths.tableFile(tables.contentKey(o.target())), path);
      pathOf.put(o.target().modelId() + "@" + o.target().contextLength(), path);
      assertArrayEquals(tables.expectedSharedFile(o.target()), Files.readAllBytes(out.resolve(path)));
    }
    assertEquals(pathOf.get("org/base@40"), pathOf.get("org/fine-tune-2@40"), "one file for one table");
    assertFalse(pathOf.get("org/base@40").equals(pathOf.get("org/base@10")), "another length, another file");
    try (Stream<Path> files = Files.walk(out.resolve(OutputPaths.TABLE_FILES))) {
      assertEquals(2, files.filter(Files::isRegularFile).count(), "two distinct tables, two files");
    }
    assertEquals((40L + 10) * 4 * 2, counters.bytes(), "each distinct table's bytes written once");
    assertEquals(4, counters.tables());

    Map<String, Manifest.Row> previous = new HashMap<>();
    for (Outcome o : outcomes) {
      if (o.target().modelId().equals("org/base")) {
        Manifest.Row row = Manifest.parse(Manifest.toJson(o));
        previous.put(row.key(), row);
      }
    }
    WriteCounters again = new WriteCounters();
    List<Outcome> rerun = writer(true).write(against(group, previous), again);

    assertEquals(0, again.bytes(), "a table file an earlier row lists, and that checks, is not written again");
    assertEquals(List.of(Outcome.Status.SKIPPED, Outcome.Status.OK, Outcome.Status.OK, Outcome.Status.SKIPPED),
        group.stream().map(t -> rerun.stream().filter(o -> o.target().equals(t)).findFirst().orElseThrow().status())
            .toList(), "rows with their own earlier row are skipped; new rows point to the existing files");
  }
}
