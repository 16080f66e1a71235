package org.ropeforge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The safetensors byte layout, for writing and reading. The only class that knows it.
 *
 * <pre>
 *   offset 0        8                      8 + n                                   file size
 *          +--------+----------------------+---------------------------------------+
 *          |   n    | JSON header, n bytes | tensor data: tensors back to back,    |
 *          | u64 LE | UTF-8, space-padded  | in header order, little-endian,       |
 *          |        | so 8 + n is 8-aligned| no gaps, nothing after the last one   |
 *          +--------+----------------------+---------------------------------------+
 *
 *   header: {"__metadata__": {"key": "value", ...},
 *            "name": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}, ...}
 * </pre>
 *
 * <p>{@code data_offsets} count from the start of the data section (byte 8 + n); end - begin is the element
 * count times the dtype size. Metadata values are strings. This matches the format Python's {@code safetensors}
 * package reads (header length at most 100,000,000, header starting with '{', offsets covering the data exactly).
 *
 * <p>Writing is planned before any data exists: {@link #layout} computes the header bytes and every tensor's
 * byte range, so parts of a file can be produced separately and placed by offset; {@link StreamWriter} writes
 * a planned file front to back.
 */
public final class Safetensors {
  /** The largest header accepted, as in the Python package. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  static final String METADATA_KEY = "__metadata__";
  private static final int ALIGNMENT = 8;
  private static final int LENGTH_FIELD_BYTES = 8;

  /** The dtypes of the safetensors specification and their sizes in bytes. */
  private static final Map<String, Integer> DTYPE_SIZES = Map.ofEntries(
      Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
      Map.entry("F8_E4M3", 1), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2),
      Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
      Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

  private static final ObjectMapper READER = new ObjectMapper(JsonFactory.builder().build())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  private Safetensors() {}

  /** A tensor to be written: its name, safetensors dtype and shape. */
  public record TensorSpec(String name, String dtype, long[] shape) {
    public TensorSpec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(dtype, "dtype");
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorSpec t && name.equals(t.name) && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape);
    }
  }

  /**
   * A tensor of a file: name, dtype, shape and its byte range [begin, end) within the data section.
   * {@link Header#fileOffset} turns data offsets into file offsets.
   */
  public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    public TensorInfo {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    public long byteLength() {
      return end - begin;
    }

    /** Bytes per element. */
    public int elementSize() {
      return DTYPE_SIZES.get(dtype);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
          && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
  }

  /** A file's header: metadata and tensors in data order, and where the data starts. */
  public static final class Header {
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final long headerLength;

    private Header(Map<String, String> metadata, List<TensorInfo> tensors, long headerLength) {
      this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
      this.tensors = List.copyOf(tensors);
      this.byName = new LinkedHashMap<>();
      for (TensorInfo t : tensors) {
        byName.put(t.name(), t);
      }
      this.headerLength = headerLength;
    }

    public Map<String, String> metadata() {
      return metadata;
    }

    /** The tensors ordered by their data offsets. */
    public List<TensorInfo> tensors() {
      return tensors;
    }

    /** The named tensor. */
    public TensorInfo tensor(String name) {
      TensorInfo t = byName.get(name);
      if (t == null) {
        throw new IllegalArgumentException("No tensor '" + name + "' (tensors: " + byName.keySet() + ")");
      }
      return t;
    }

    public boolean hasTensor(String name) {
      return byName.containsKey(name);
    }

    /** n, the JSON header's length in bytes including its padding. */
    public long headerLength() {
      return headerLength;
    }

    /** File offset of the data section: 8 + n. */
    public long dataStart() {
      return LENGTH_FIELD_BYTES + headerLength;
    }

    /** Bytes of tensor data. */
    public long dataLength() {
      return tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end();
    }

    public long fileSize() {
      return dataStart() + dataLength();
    }

    /** The file offset of byte {@code offsetInTensor} of {@code tensor}. */
    public long fileOffset(TensorInfo tensor, long offsetInTensor) {
      return dataStart() + tensor.begin() + offsetInTensor;
    }

    /** The bytes before the data section: the length field, the JSON and its padding. */
    public byte[] encode() {
      byte[] json = json(metadata, tensors);
      int padded = (int) headerLength;
      ByteBuffer out = ByteBuffer.allocate(LENGTH_FIELD_BYTES + padded).order(ByteOrder.LITTLE_ENDIAN);
      out.putLong(padded);
      out.put(json);
      while (out.hasRemaining()) {
        out.put((byte) ' ');
      }
      return out.array();
    }
  }

  /**
   * Plans a file: tensors stored back to back in the given order.
   *
   * @throws IllegalArgumentException on duplicate or reserved names, unknown dtypes, negative dimensions, or a
   *     header over {@link #MAX_HEADER_BYTES}
   */
  public static Header layout(Map<String, String> metadata, List<TensorSpec> specs) {
    List<TensorInfo> tensors = new ArrayList<>(specs.size());
    java.util.Set<String> names = new java.util.HashSet<>();
    long offset = 0;
    for (TensorSpec spec : specs) {
      if (spec.name().equals(METADATA_KEY) || !names.add(spec.name())) {
        throw new IllegalArgumentException("Invalid tensor name '" + spec.name() + "' (duplicate or reserved)");
      }
      Integer size = DTYPE_SIZES.get(spec.dtype());
      if (size == null) {
        throw new IllegalArgumentException("Unknown dtype '" + spec.dtype() + "' for tensor " + spec.name()
            + " (supported: " + new java.util.TreeSet<>(DTYPE_SIZES.keySet()) + ")");
      }
      long elements = 1;
      for (long dim : spec.shape()) {
        if (dim < 0) {
          throw new IllegalArgumentException("Invalid shape " + spec + " (dimensions must be >= 0)");
        }
        elements = Math.multiplyExact(elements, dim);
      }
      long end = Math.addExact(offset, Math.multiplyExact(elements, (long) size));
      tensors.add(new TensorInfo(spec.name(), spec.dtype(), spec.shape(), offset, end));
      offset = end;
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      Objects.requireNonNull(e.getKey(), "metadata key");
      Objects.requireNonNull(e.getValue(), "metadata value of " + e.getKey());
    }
    long length = json(metadata, tensors).length;
    long padded = (length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    if (padded > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("Header of " + padded + " bytes exceeds the " + MAX_HEADER_BYTES
          + "-byte limit");
    }
    return new Header(metadata, tensors, padded);
  }

  private static byte[] json(Map<String, String> metadata, List<TensorInfo> tensors) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(bytes)) {
      g.writeStartObject();
      if (!metadata.isEmpty()) {
        g.writeObjectFieldStart(METADATA_KEY);
        for (Map.Entry<String, String> e : metadata.entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      for (TensorInfo t : tensors) {
        g.writeObjectFieldStart(t.name());
        g.writeStringField("dtype", t.dtype());
        g.writeArrayFieldStart("shape");
        for (long dim : t.shape()) {
          g.writeNumber(dim);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data_offsets");
        g.writeNumber(t.begin());
        g.writeNumber(t.end());
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode a safetensors header", e);
    }
    return bytes.toByteArray();
  }

  /** Reads and validates the header of {@code file}. */
  public static Header read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(channel, file.toString());
    }
  }

  /**
   * Reads and validates the header of a safetensors file; {@code source} names it in error messages. Checks
   * everything that can be checked without reading the data: the length field against the limit and the file
   * size, UTF-8, JSON syntax (no duplicate keys, nothing after the object), string metadata, known dtypes,
   * shapes, and offsets that tile the data section exactly.
   *
   * @throws SafetensorsFormatException if the file is not a valid safetensors file
   */
  public static Header read(SeekableByteChannel channel, String source) throws IOException {
    long size = channel.size();
    if (size < LENGTH_FIELD_BYTES) {
      throw invalid(source, "file has " + size + " bytes, fewer than the 8-byte header length field");
    }
    ByteBuffer lengthField = ByteBuffer.allocate(LENGTH_FIELD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, 0, lengthField, source);
    long n = lengthField.flip().getLong();
    if (Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
      throw invalid(source, "header length " + Long.toUnsignedString(n) + " exceeds the " + MAX_HEADER_BYTES
          + "-byte limit");
    }
    if (n > size - LENGTH_FIELD_BYTES) {
      throw invalid(source, "header length " + n + " exceeds the " + (size - LENGTH_FIELD_BYTES)
          + " bytes after the length field");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
    readFully(channel, LENGTH_FIELD_BYTES, headerBytes, source);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(headerBytes.flip())
          .toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsFormatException(message(source, "header is not valid UTF-8"), e);
    }
    if (!text.startsWith("{")) {
      throw invalid(source, "header does not start with '{'");
    }
    JsonNode root;
    try {
      root = READER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SafetensorsFormatException(message(source, "header is not valid JSON: " + e.getOriginalMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw invalid(source, "header is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> tensors = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals(METADATA_KEY)) {
        readMetadata(field.getValue(), metadata, source);
      } else {
        tensors.add(readTensor(field.getKey(), field.getValue(), source));
      }
    }
    tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo t : tensors) {
      if (t.begin() < expected) {
        throw invalid(source, "tensor " + t.name() + " data [" + t.begin() + ", " + t.end()
            + ") overlaps the previous tensor, which ends at " + expected);
      }
      if (t.begin() > expected) {
        throw invalid(source, "tensor " + t.name() + " data starts at " + t.begin() + ", leaving a gap after "
            + expected);
      }
      expected = t.end();
    }
    long dataLength = size - LENGTH_FIELD_BYTES - n;
    if (expected > dataLength) {
      throw invalid(source, "tensor data ends at " + expected + ", past the " + dataLength
          + " bytes of the data section");
    }
    if (expected < dataLength) {
      throw invalid(source, (dataLength - expected) + " trailing bytes after the last tensor");
    }
    return new Header(metadata, tensors, n);
  }

  private static void readMetadata(JsonNode node, Map<String, String> metadata, String source)
      throws SafetensorsFormatException {
    if (!node.isObject()) {
      throw invalid(source, METADATA_KEY + " is not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw invalid(source, "metadata value of '" + e.getKey() + "' is not a string");
      }
      metadata.put(e.getKey(), e.getValue().textValue());
    }
  }

  private static TensorInfo readTensor(String name, JsonNode node, String source) throws SafetensorsFormatException {
    if (!node.isObject()) {
      throw invalid(source, "tensor " + name + " is not an object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw invalid(source, "tensor " + name + " has unknown field '" + key + "'");
      }
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw invalid(source, "tensor " + name + " has no dtype string");
    }
    String dtype = dtypeNode.textValue();
    Integer size = DTYPE_SIZES.get(dtype);
    if (size == null) {
      throw invalid(source, "tensor " + name + " has unknown dtype '" + dtype + "'");
    }
    long[] shape = naturals(node.get("shape"), name, "shape", -1, source);
    long[] offsets = naturals(node.get("data_offsets"), name, "data_offsets", 2, source);
    if (offsets[1] < offsets[0]) {
      throw invalid(source, "tensor " + name + " data_offsets [" + offsets[0] + ", " + offsets[1]
          + "] end before they begin");
    }
    long bytes;
    try {
      long elements = 1;
      for (long dim : shape) {
        elements = Math.multiplyExact(elements, dim);
      }
      bytes = Math.multiplyExact(elements, (long) size);
    } catch (ArithmeticException e) {
      throw invalid(source, "tensor " + name + " shape " + Arrays.toString(shape) + " overflows");
    }
    if (bytes != offsets[1] - offsets[0]) {
      throw invalid(source, "tensor " + name + " shape " + Arrays.toString(shape) + " of " + dtype + " needs "
          + bytes + " bytes, data_offsets give " + (offsets[1] - offsets[0]));
    }
    return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
  }

  /** A JSON array of integers in [0, 2^63); {@code count} -1 for any length. */
  private static long[] naturals(JsonNode node, String name, String field, int count, String source)
      throws SafetensorsFormatException {
    if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
      throw invalid(source, "tensor " + name + " has no " + field + " array"
          + (count >= 0 ? " of " + count + " integers" : ""));
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw invalid(source, "tensor " + name + " " + field + " holds " + v + ", not an integer in [0, 2^63)");
      }
      out[i] = v.longValue();
    }
    return out;
  }

  /** Reads {@code length} bytes of {@code tensor} from {@code offsetInTensor}, little-endian. */
  public static ByteBuffer readData(SeekableByteChannel channel, Header header, TensorInfo tensor,
      long offsetInTensor, int length, String source) throws IOException {
    if (offsetInTensor < 0 || length < 0 || offsetInTensor + length > tensor.byteLength()) {
      throw new IllegalArgumentException("Invalid range [" + offsetInTensor + ", " + (offsetInTensor + length)
          + ") of tensor " + tensor);
    }
    ByteBuffer data = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, header.fileOffset(tensor, offsetInTensor), data, source);
    return data.flip();
  }

  private static void readFully(SeekableByteChannel channel, long position, ByteBuffer into, String source)
      throws IOException {
    channel.position(position);
    while (into.hasRemaining()) {
      if (channel.read(into) < 0) {
        throw invalid(source, "file ended at byte " + (position + into.position()) + " while reading");
      }
    }
  }

  private static SafetensorsFormatException invalid(String source, String reason) {
    return new SafetensorsFormatException(message(source, reason));
  }

  private static String message(String source, String reason) {
    return "Invalid safetensors file " + source + ": " + reason;
  }

  /**
   * Writes a planned file front to back: the header at construction, then the data as it comes, checking that
   * exactly the planned number of bytes arrives.
   */
  public static final class StreamWriter {
    private final OutputStream out;
    private final Header header;
    private long written;

    public StreamWriter(OutputStream out, Header header) throws IOException {
      this.out = Objects.requireNonNull(out, "out");
      this.header = Objects.requireNonNull(header, "header");
      out.write(header.encode());
    }

    /** Appends {@code length} bytes of data. */
    public void write(byte[] data, int offset, int length) throws IOException {
      if (length > header.dataLength() - written) {
        throw new IllegalStateException("Data mismatch: expected " + header.dataLength() + " bytes, actual more ("
            + (written + length) + ")");
      }
      out.write(data, offset, length);
      written += length;
    }

    /** Appends the remaining bytes of a heap buffer. */
    public void write(ByteBuffer data) throws IOException {
      write(data.array(), data.arrayOffset() + data.position(), data.remaining());
      data.position(data.limit());
    }

    /** Bytes of data written so far. */
    public long written() {
      return written;
    }

    /** Checks that all planned data was written and flushes. */
    public void finish() throws IOException {
      if (written != header.dataLength()) {
        throw new IllegalStateException("Data mismatch: expected " + header.dataLength() + " bytes, actual "
            + written);
      }
      out.flush();
    }
  }
}
