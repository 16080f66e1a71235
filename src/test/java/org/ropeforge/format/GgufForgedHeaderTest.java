package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ropeforge.core.RopeConfigException;

/**
 * Truncated and forged headers, each made from a valid file by one edit: every one is a
 * {@link RopeConfigException} naming the model, the GGUF field and the rule, never another exception.
 */
class GgufForgedHeaderTest {
  static final String MODEL = "forged/llama-3.1";

  static byte[] valid() throws IOException {
    return Files.readAllBytes(GgufConfigTest.GGUF.resolve("llama-3.1-8b-instruct.gguf"));
  }

  /** Where the tensor info of {@code name} starts its fields after the name: dimension count, dims, type, offset. */
  static int afterTensorName(byte[] file, String name) {
    byte[] needle = name.getBytes(StandardCharsets.UTF_8);
    for (int i = 8; i + needle.length <= file.length; i++) {
      if (Arrays.equals(file, i, i + needle.length, needle, 0, needle.length)
          && ByteBuffer.wrap(file, i - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() == needle.length) {
        return i + needle.length;
      }
    }
    throw new AssertionError(name + " not in the file");
  }

  static byte[] putLong(byte[] file, int at, long value) {
    byte[] m = file.clone();
    ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
    return m;
  }

  static byte[] putInt(byte[] file, int at, int value) {
    byte[] m = file.clone();
    ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
    return m;
  }

  static Stream<Arguments> forgeries() {
    String freqs = GgufConfig.ROPE_FREQS;
    return Stream.of(
        Arguments.of("bad magic", (UnaryOperator<byte[]>) f -> putInt(f, 0, 0x46554746), "header.magic",
            "is not GGUF's"),
        Arguments.of("unsupported version", (UnaryOperator<byte[]>) f -> putInt(f, 4, 4), "header.version",
            "is not a GGUF version this reader knows"),
        Arguments.of("tensor count past the file", (UnaryOperator<byte[]>) f -> putLong(f, 8, 1L << 40),
            "header.tensor_count", "is more than the rest of the file"),
        Arguments.of("metadata count past the file", (UnaryOperator<byte[]>) f -> putLong(f, 16, -1L),
            "header.metadata_kv_count", "is more than the rest of the file"),
        Arguments.of("key length past the file", (UnaryOperator<byte[]>) f -> putLong(f, 24, 1L << 62),
            "metadata[0].key (length)", "runs past the end of the file"),
        Arguments.of("string value length past the file", (UnaryOperator<byte[]>) f -> {
          // general.architecture's value: its key is the first, so the value's length follows key and type.
          int at = 24 + 8 + "general.architecture".length() + 4;
          return putLong(f, at, f.length);
        }, "general.architecture (length)", "runs past the end of the file"),
        Arguments.of("truncated in the metadata", (UnaryOperator<byte[]>) f -> Arrays.copyOf(f, 100),
            "header.metadata_kv_count", "is more than the rest of the file"),
        Arguments.of("truncated inside the first key", (UnaryOperator<byte[]>) f -> {
          // One entry and no tensors, so that the counts fit and the key is what runs out.
          byte[] m = Arrays.copyOf(putLong(putLong(f, 8, 0), 16, 1), 40);
          return m;
        }, "metadata[0].key (length)", "runs past the end of the file"),
        Arguments.of("tensor offset past the file", (UnaryOperator<byte[]>) f -> {
          int at = afterTensorName(f, freqs) + 4 + 8 + 4;
          return putLong(f, at, f.length);
        }, "tensor " + freqs + " offset", "must lie inside the data section"),
        Arguments.of("rope_freqs stored as F16", (UnaryOperator<byte[]>) f -> {
          int at = afterTensorName(f, freqs) + 4 + 8;
          return putInt(f, at, 1);
        }, "tensor " + freqs + " type", "must be 0 (F32)"),
        Arguments.of("truncated before the rope tensor data", (UnaryOperator<byte[]>) f -> Arrays.copyOf(f,
            f.length - 64), "tensor " + freqs + " offset", "must lie inside the data section"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgeries")
  void isRefusedNamingTheModelTheFieldAndTheRule(String what, UnaryOperator<byte[]> forge, String field,
      String rule) throws IOException {
    byte[] forged = forge.apply(valid());
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> GgufConfig.read(MODEL, GgufFile.Source.of(forged)));
    assertEquals(MODEL, e.modelId());
    assertEquals(field, e.field());
    assertTrue(e.getMessage().startsWith("model '" + MODEL + "': " + e.field() + " "), e.getMessage());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgeries")
  void isAnErrorLineOfParams(String what, UnaryOperator<byte[]> forge, String field, String rule,
      @org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path file = dir.resolve("forged.gguf");
    Files.write(file, forge.apply(valid()));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int status = org.ropeforge.cli.ParamsCommand.run(new String[] {"--config", file.toString()},
        new java.io.PrintStream(out, true, StandardCharsets.UTF_8), new java.io.PrintStream(err, true,
            StandardCharsets.UTF_8));
    assertEquals(1, status, err.toString());
    com.fasterxml.jackson.databind.JsonNode line = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(out.toString());
    assertEquals("forged", line.path("model_id").asText());
    assertEquals(field, line.path("error").path("field").asText());
    assertTrue(line.path("error").path("message").asText().contains(rule), line.toString());
  }
}
