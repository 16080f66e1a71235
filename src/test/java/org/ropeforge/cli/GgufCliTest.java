package org.ropeforge.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.format.GgufConfig;
import org.ropeforge.format.Safetensors;

/**
 * {@code table} and {@code compare} with a GGUF file as {@code --config}: the model id is the file name without
 * .gguf, and the tables are those of the same model's config.json (the Qwen2.5 yarn GGUF holds every number of
 * its config exactly, so the bytes are equal); a file the mapping refuses is a failure naming the GGUF field.
 */
class GgufCliTest {
  private static final String NAME = "qwen2.5-7b-instruct-yarn";
  private static final Path GGUF = Path.of("src/test/resources/gguf", NAME + ".gguf");
  private static final Path JSON = Path.of("src/test/resources/golden/configs/Qwen__Qwen2.5-7B-Instruct-yarn.json");

  @TempDir
  Path dir;

  private static CommandRun run(BiFunction<PrintStream, PrintStream, Integer> command) {
    return CommandRun.of(command);
  }

  /** The GGUF and the config.json under the same model id, in the temporary folder. */
  private Path[] sameModel() throws IOException {
    Path gguf = Files.copy(GGUF, dir.resolve(NAME + ".gguf"));
    Path json = Files.copy(JSON, dir.resolve(NAME + ".json"));
    return new Path[] {gguf, json};
  }

  @Test
  void tableOfAGgufIsTheTableOfItsConfigJson() throws Exception {
    Path[] files = sameModel();
    Path fromGguf = dir.resolve("gguf.safetensors");
    Path fromJson = dir.resolve("json.safetensors");
    for (String layout : new String[] {"half", "pairs"}) {
      CommandRun g = run((out, err) -> TableCommand.run(new String[] {"--config", files[0].toString(),
          "--context-length", "40000", "--out", fromGguf.toString(), "--layout", layout}, out, err));
      assertEquals(0, g.status(), g.err());
      CommandRun j = run((out, err) -> TableCommand.run(new String[] {"--config", files[1].toString(),
          "--context-length", "40000", "--out", fromJson.toString(), "--layout", layout}, out, err));
      assertEquals(0, j.status(), j.err());

      Safetensors.Header gh = Safetensors.read(fromGguf);
      Safetensors.Header jh = Safetensors.read(fromJson);
      assertEquals(NAME, gh.metadata().get("model_id"));
      assertEquals("yarn", gh.metadata().get("rope_type"));
      // config_sha256 of a GGUF entry hashes its derived config, not the file.
      assertEquals(RopeResolver.parse(NAME, GgufConfig.read(NAME, files[0])).configSha256(),
          gh.metadata().get("config_sha256"));
      assertNotEquals(jh.metadata().get("config_sha256"), gh.metadata().get("config_sha256"));
      assertEquals(jh.tensors(), gh.tensors(), layout);
      byte[] g2 = Files.readAllBytes(fromGguf);
      byte[] j2 = Files.readAllBytes(fromJson);
      assertArrayEquals(Arrays.copyOfRange(j2, (int) jh.dataStart(), j2.length),
          Arrays.copyOfRange(g2, (int) gh.dataStart(), g2.length), layout + " table bytes");
    }
  }

  @Test
  void compareOfAGgufPrintsWhatItsConfigJsonPrints() throws Exception {
    Path[] files = sameModel();
    CommandRun g = run((out, err) -> CompareCommand.run(new String[] {"--config", files[0].toString()}, out, err));
    assertEquals(0, g.status(), g.err());
    CommandRun j = run((out, err) -> CompareCommand.run(new String[] {"--config", files[1].toString()}, out, err));
    assertEquals(0, j.status(), j.err());
    assertTrue(g.out().startsWith("model " + NAME + ", context length 32768, against transformers exact, "),
        g.out());
    assertEquals(j.out(), g.out());
  }

  @Test
  void aFolderHoldingASplitIsOneModel() throws Exception {
    String phi = "phi-3-mini-128k-instruct";
    Path folder = Files.createDirectories(dir.resolve(phi));
    for (int n = 1; n <= 3; n++) {
      String shard = String.format("%s-%05d-of-00003.gguf", phi, n);
      Files.copy(Path.of("src/test/resources/gguf/split", shard), folder.resolve(shard));
    }
    Path whole = Files.copy(Path.of("src/test/resources/gguf", phi + ".gguf"), dir.resolve(phi + ".gguf"));
    CommandRun fromFolder = run((out, err) -> ParamsCommand.run(new String[] {"--config", folder.toString()}, out,
        err));
    assertEquals(0, fromFolder.status(), fromFolder.err());
    CommandRun fromShard = run((out, err) -> ParamsCommand.run(new String[] {"--config",
        folder.resolve(phi + "-00001-of-00003.gguf").toString()}, out, err));
    assertEquals(0, fromShard.status(), fromShard.err());
    CommandRun fromWhole = run((out, err) -> ParamsCommand.run(new String[] {"--config", whole.toString()}, out, err));
    assertEquals(0, fromWhole.status(), fromWhole.err());
    // The same lines: the model id is the folder's name, the file's without .gguf, and the shard's.
    assertTrue(fromWhole.out().startsWith("{\"model_id\":\"" + phi + "\""), fromWhole.out());
    assertEquals(fromWhole.out(), fromFolder.out());
    assertEquals(fromWhole.out().replace("\"model_id\":\"" + phi + "\"",
        "\"model_id\":\"" + phi + "-00001-of-00003\""), fromShard.out());
  }

  @Test
  void aRefusedGgufIsAFailureNamingTheField() throws Exception {
    byte[] file = Files.readAllBytes(GGUF);
    // The version field (bytes 4..7) set to 4.
    file[4] = 4;
    Path forged = Files.write(dir.resolve("forged.gguf"), file);
    String expected = "model 'forged': header.version = 4 is not a GGUF version this reader knows (2 or 3) (GGUF "
        + "header)";
    CommandRun t = run((out, err) -> TableCommand.run(new String[] {"--config", forged.toString(), "--context-length",
        "16", "--out", dir.resolve("t.safetensors").toString()}, out, err));
    assertEquals(1, t.status());
    assertEquals("ropeforge table: " + expected + System.lineSeparator(), t.err());
    assertTrue(Files.notExists(dir.resolve("t.safetensors")));
    CommandRun c = run((out, err) -> CompareCommand.run(new String[] {"--config", forged.toString()}, out, err));
    assertEquals(1, c.status());
    assertEquals("ropeforge compare: " + expected + System.lineSeparator(), c.err());
  }
}
