package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir
  Path dir;

  @Test
  void headerOfOneSmallTensorIsExactlyTheSpecifiedBytes() {
    Safetensors.Header header = Safetensors.layout(Map.of("format", "x"),
        List.of(new Safetensors.TensorSpec("t", "F32", new long[] {2})));
    String json = "{\"__metadata__\":{\"format\":\"x\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    assertEquals(84, json.length());
    byte[] expected = ByteBuffer.allocate(8 + 88).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(88).put(json.getBytes(StandardCharsets.UTF_8)).put("    ".getBytes(StandardCharsets.UTF_8)).array();
    assertArrayEquals(expected, header.encode());
    assertEquals(96, header.dataStart());
    assertEquals(104, header.fileSize());
  }

  @Test
  void writtenFilesReadBackWithTheirMetadataTensorsAndData() throws IOException {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("model_id", "org/model ü");
    metadata.put("empty", "");
    Safetensors.Header planned = Safetensors.layout(metadata, List.of(
        new Safetensors.TensorSpec("a", "F16", new long[] {3, 1}),
        new Safetensors.TensorSpec("b", "F64", new long[] {2}),
        new Safetensors.TensorSpec("none", "BF16", new long[] {0, 4})));
    assertEquals(0, planned.dataStart() % 8);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Safetensors.StreamWriter writer = new Safetensors.StreamWriter(bytes, planned);
    byte[] data = new byte[22];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7);
    }
    writer.write(data, 0, 10);
    writer.write(ByteBuffer.wrap(data, 10, 12));
    writer.finish();
    Path file = write(bytes.toByteArray());

    Safetensors.Header read = Safetensors.read(file);
    assertEquals(metadata, read.metadata());
    assertEquals(planned.tensors(), read.tensors());
    assertEquals(planned.dataStart(), read.dataStart());
    try (FileChannel channel = FileChannel.open(file)) {
      ByteBuffer b = Safetensors.readData(channel, read, read.tensor("b"), 8, 8, file.toString());
      assertEquals(ByteBuffer.wrap(data, 14, 8), b);
    }
  }

  @Test
  void streamWriterRefusesMoreOrLessDataThanPlanned() throws IOException {
    Safetensors.Header planned = Safetensors.layout(Map.of(),
        List.of(new Safetensors.TensorSpec("a", "U8", new long[] {4})));
    Safetensors.StreamWriter writer = new Safetensors.StreamWriter(new ByteArrayOutputStream(), planned);
    writer.write(new byte[3], 0, 3);
    IllegalStateException less = assertThrows(IllegalStateException.class, writer::finish);
    assertEquals("Data mismatch: expected 4 bytes, actual 3", less.getMessage());
    IllegalStateException more = assertThrows(IllegalStateException.class, () -> writer.write(new byte[2], 0, 2));
    assertEquals("Data mismatch: expected 4 bytes, actual more (5)", more.getMessage());
  }

  @Test
  void layoutRefusesDuplicateNamesAndUnknownDtypes() {
    IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class, () -> Safetensors.layout(
        Map.of(), List.of(new Safetensors.TensorSpec("a", "F32", new long[] {1}),
            new Safetensors.TensorSpec("a", "F32", new long[] {1}))));
    assertEquals("Invalid tensor name 'a' (duplicate or reserved)", duplicate.getMessage());
    IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> Safetensors.layout(
        Map.of(), List.of(new Safetensors.TensorSpec("a", "F128", new long[] {1}))));
    assertEquals("Unknown dtype 'F128' for tensor a (supported: [BF16, BOOL, F16, F32, F64, F8_E4M3, F8_E5M2,"
        + " I16, I32, I64, I8, U16, U32, U64, U8])", dtype.getMessage());
  }

  // Rejections: every check of the reader, each with its message.

  @Test
  void rejectsAFileShorterThanTheLengthField() throws IOException {
    assertRejected(new byte[3], "file has 3 bytes, fewer than the 8-byte header length field");
  }

  @Test
  void rejectsAHeaderLengthOverTheLimitWithoutAllocatingIt() throws IOException {
    assertRejected(file(-1L, "{}", 0), "header length 18446744073709551615 exceeds the 100000000-byte limit");
    assertRejected(file(100_000_001L, "{}", 0), "header length 100000001 exceeds the 100000000-byte limit");
  }

  @Test
  void rejectsAHeaderLengthBeyondTheFile() throws IOException {
    assertRejected(file(64, "{}", 0), "header length 64 exceeds the 2 bytes after the length field");
  }

  @Test
  void rejectsAHeaderThatIsNotUtf8() throws IOException {
    byte[] bytes = file(4, "{  }", 0);
    bytes[9] = (byte) 0xC3;
    assertRejected(bytes, "header is not valid UTF-8");
  }

  @Test
  void rejectsAHeaderThatDoesNotStartWithABrace() throws IOException {
    assertRejected(file(" {}"), "header does not start with '{'");
  }

  @Test
  void rejectsInvalidJson() throws IOException {
    assertRejectedStartingWith(file("{\"a\": }"), "header is not valid JSON: Unexpected character ('}'");
    assertRejectedStartingWith(file("{} {}"), "header is not valid JSON: Trailing token");
  }

  @Test
  void rejectsDuplicateKeys() throws IOException {
    assertRejectedStartingWith(file(
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
            + "\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}"),
        "header is not valid JSON: Duplicate field 'a'");
  }

  @Test
  void rejectsMetadataThatIsNotStringToString() throws IOException {
    assertRejected(file("{\"__metadata__\":{\"n\":1}}"), "metadata value of 'n' is not a string");
    assertRejected(file("{\"__metadata__\":[]}"), "__metadata__ is not an object");
  }

  @Test
  void rejectsUnknownDtypesAndFields() throws IOException {
    assertRejected(file("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}"),
        "tensor a has unknown dtype 'F128'");
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0],\"x\":1}}"),
        "tensor a has unknown field 'x'");
    assertRejected(file("{\"a\":{\"shape\":[0],\"data_offsets\":[0,0]}}"), "tensor a has no dtype string");
  }

  @Test
  void rejectsMalformedShapesAndOffsets() throws IOException {
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}"),
        "tensor a shape holds -1, not an integer in [0, 2^63)");
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,0]}}"),
        "tensor a shape holds 1.5, not an integer in [0, 2^63)");
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}"),
        "tensor a has no data_offsets array of 2 integers");
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,1]}}"),
        "tensor a data_offsets [2, 1] end before they begin");
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}"),
        "tensor a shape [4611686018427387904, 4] overflows");
  }

  @Test
  void rejectsOffsetsThatDisagreeWithShapeAndDtype() throws IOException {
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
        "tensor a shape [2] of F32 needs 8 bytes, data_offsets give 4");
  }

  @Test
  void rejectsOverlapsGapsAndMissingOrTrailingData() throws IOException {
    String two = "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[%s,%s]}}";
    assertRejected(file(String.format(two, 2, 6), 6), "tensor b data [2, 6) overlaps the previous tensor,"
        + " which ends at 4");
    assertRejected(file(String.format(two, 5, 9), 9), "tensor b data starts at 5, leaving a gap after 4");
    assertRejected(file(String.format(two, 4, 8), 7), "tensor data ends at 8, past the 7 bytes of the data section");
    assertRejected(file(String.format(two, 4, 8), 9), "1 trailing bytes after the last tensor");
    assertRejected(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[1,1]}}", 1),
        "tensor a data starts at 1, leaving a gap after 0");
  }

  private void assertRejected(byte[] bytes, String reason) throws IOException {
    Path file = write(bytes);
    SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(file));
    assertEquals("Invalid safetensors file " + file + ": " + reason, e.getMessage());
  }

  private void assertRejectedStartingWith(byte[] bytes, String reasonPrefix) throws IOException {
    Path file = write(bytes);
    SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(file));
    String prefix = "Invalid safetensors file " + file + ": " + reasonPrefix;
    assertEquals(prefix, e.getMessage().substring(0, Math.min(prefix.length(), e.getMessage().length())),
        e.getMessage());
  }

  private Path write(byte[] bytes) throws IOException {
    Path file = Files.createTempFile(dir, "t", ".safetensors");
    Files.write(file, bytes);
    return file;
  }

  private static byte[] file(String json) {
    return file(json, 0);
  }

  private static byte[] file(String json, int dataBytes) {
    return file(json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
  }

  /** A length field saying {@code declared}, then {@code json}, then {@code dataBytes} zero bytes. */
  private static byte[] file(long declared, String json, int dataBytes) {
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
        .putLong(declared).put(text).array();
  }
}
