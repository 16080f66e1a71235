package org.ropeforge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header of a GGUF file (versions 2 and 3, little-endian): its metadata and the tensor infos, plus the data
 * of a few small float32 tensors asked for by name, read by offset. Weight data is never read: a reader over a
 * multi-gigabyte file touches the header and those few tensors only.
 *
 * <p>The layout: magic {@code GGUF}, uint32 version, uint64 tensor count, uint64 metadata count; each metadata
 * entry a string key, a uint32 value type and the value (strings are a uint64 length and UTF-8 bytes, arrays a
 * uint32 element type, a uint64 count and the elements); each tensor info a string name, a uint32 dimension
 * count, that many uint64 dimensions, a uint32 ggml type and a uint64 offset into the data section; the data
 * section starts at the next multiple of {@code general.alignment} (default 32).
 *
 * <p>Every length, count and offset in the file is untrusted: each is checked against what is left of the file
 * and against the reader's own bounds before anything is allocated by it, so a forged header costs at most a few
 * of those bounds in memory. Anything wrong in the bytes is a {@link GgufFormatException} naming the field.
 */
public final class GgufFile {
  /** What the reader needs of a file: its size and bytes at a position. */
  public interface Source {
    long size() throws IOException;

    /** Reads exactly {@code length} bytes at {@code position}; the caller keeps within {@link #size()}. */
    void readFully(long position, byte[] buffer, int offset, int length) throws IOException;

    /** A source over an open local file. */
    static Source of(FileChannel channel) {
      return new Source() {
        @Override
        public long size() throws IOException {
          return channel.size();
        }

        @Override
        public void readFully(long position, byte[] buffer, int offset, int length) throws IOException {
          ByteBuffer target = ByteBuffer.wrap(buffer, offset, length);
          while (target.hasRemaining()) {
            if (channel.read(target, position + target.position() - offset) < 0) {
              throw new java.io.EOFException("file ended at " + (position + target.position() - offset));
            }
          }
        }
      };
    }

    /** A source over bytes already in memory (a header read from a stream, a test's file). */
    static Source of(byte[] bytes) {
      return new Source() {
        @Override
        public long size() {
          return bytes.length;
        }

        @Override
        public void readFully(long position, byte[] buffer, int offset, int length) {
          if (position < 0 || position + length > bytes.length) {
            throw new IndexOutOfBoundsException("read of " + length + " bytes at " + position + " past "
                + bytes.length);
          }
          System.arraycopy(bytes, (int) position, buffer, offset, length);
        }
      };
    }
  }

  public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
  public static final int DEFAULT_ALIGNMENT = 32;

  /** Longest metadata key or tensor name; the format says 65535. */
  static final int MAX_KEY_BYTES = 65_535;
  /** Longest string value kept; longer ones (chat templates of megabytes) are stepped over and kept as null. */
  static final int MAX_KEPT_STRING_BYTES = 1 << 16;
  /** Most array elements kept; longer arrays (vocabularies) are stepped over and kept as their length only. */
  static final int MAX_KEPT_ARRAY_ELEMENTS = 1 << 12;
  /** Most metadata entries and tensors; real files have a few dozen entries and at most tens of thousands of tensors. */
  static final long MAX_ENTRIES = 1 << 20;
  /** ggml's GGML_MAX_DIMS. */
  static final int MAX_DIMS = 4;
  /** Most elements of a tensor read for its data; rope tensors hold rotary_dim / 2 values. */
  public static final int MAX_READ_TENSOR_ELEMENTS = 1 << 16;
  /** The ggml type of float32 tensors. */
  public static final int GGML_TYPE_F32 = 0;

  /** The value types of metadata, by their number in the format. */
  private static final String[] TYPE_NAMES = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
      "bool", "string", "array", "uint64", "int64", "float64"};
  private static final int TYPE_STRING = 8;
  private static final int TYPE_ARRAY = 9;

  /**
   * One tensor of the file.
   *
   * @param name its name
   * @param dims its dimensions, innermost first
   * @param ggmlType its ggml type number
   * @param offset where its data starts, in the file
   */
  public record TensorInfo(String name, long[] dims, int ggmlType, long offset) {
    public long elements() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }
  }

  /**
   * An array value too long to keep: its element type and length.
   *
   * @param elementType the element type's name
   * @param length the element count
   */
  public record LongArray(String elementType, long length) {}

  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, String> metadataTypes;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, float[]> tensorData;
  private final long tensorCount;

  private GgufFile(int version, Map<String, Object> metadata, Map<String, String> metadataTypes,
      Map<String, TensorInfo> tensors, Map<String, float[]> tensorData, long tensorCount) {
    this.version = version;
    this.tensorCount = tensorCount;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.metadataTypes = Collections.unmodifiableMap(metadataTypes);
    this.tensors = Collections.unmodifiableMap(tensors);
    this.tensorData = Collections.unmodifiableMap(tensorData);
  }

  public int version() {
    return version;
  }

  /**
   * The metadata, in file order: integers as {@link Long} (uint64 past Long.MAX_VALUE is refused), floats as
   * {@link Double} (a float32 widened exactly), {@link Boolean}, {@link String} (null when too long to keep),
   * arrays as {@link List} of those or a {@link LongArray}.
   */
  public Map<String, Object> metadata() {
    return metadata;
  }

  /** A metadata entry's type as the file declares it ({@code uint32}, {@code float32}, {@code array[string]}...). */
  public String metadataType(String key) {
    return metadataTypes.get(key);
  }

  /** How many tensors the file holds (its header's tensor_count), whether asked for or not. */
  public long tensorCount() {
    return tensorCount;
  }

  /** The tensor infos that were asked for and are present, by name. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The float32 data of a tensor asked for, or null when the file has no such tensor. */
  public float[] tensorData(String name) {
    float[] data = tensorData.get(name);
    return data == null ? null : data.clone();
  }

  /**
   * Reads the header of the file in {@code source} and the data of the tensors named in {@code wantedTensors}
   * that it holds, each of which must be a float32 vector of at most {@link #MAX_READ_TENSOR_ELEMENTS} values.
   */
  public static GgufFile read(Source source, Set<String> wantedTensors) throws IOException {
    Cursor in = new Cursor(source);
    int magic = in.int32("header.magic");
    if (magic != MAGIC) {
      throw new GgufFormatException("header.magic", String.format("0x%08x", magic),
          "is not GGUF's (the bytes 'GGUF'); the file is not a GGUF file, or a big-endian one, which is not read");
    }
    int version = in.int32("header.version");
    if (version != 2 && version != 3) {
      throw new GgufFormatException("header.version", Integer.toUnsignedString(version),
          "is not a GGUF version this reader knows (2 or 3)");
    }
    long tensorCount = in.count("header.tensor_count", 8 + 4 + 8 + 4 + 8, true);
    long kvCount = in.count("header.metadata_kv_count", 8 + 4 + 1, true);
    Map<String, Object> metadata = new LinkedHashMap<>();
    Map<String, String> types = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      String key = in.string("metadata[" + i + "].key", MAX_KEY_BYTES);
      if (metadata.containsKey(key)) {
        throw new GgufFormatException(key, null, "appears twice in the metadata");
      }
      int type = in.int32(key + " (type)");
      if (type == TYPE_ARRAY) {
        int elementType = in.int32(key + " (element type)");
        checkType(key + " (element type)", elementType);
        if (elementType == TYPE_ARRAY) {
          throw new GgufFormatException(key, "array[array]", "nests arrays, which this reader does not read");
        }
        long length = in.count(key + " (array length)", elementSize(elementType), false);
        types.put(key, "array[" + TYPE_NAMES[elementType] + "]");
        if (length > MAX_KEPT_ARRAY_ELEMENTS) {
          if (elementType == TYPE_STRING) {
            for (long j = 0; j < length; j++) {
              in.skipString(key + "[" + j + "]");
            }
          } else {
            in.skip(key, length * elementSize(elementType));
          }
          metadata.put(key, new LongArray(TYPE_NAMES[elementType], length));
        } else {
          List<Object> values = new ArrayList<>((int) length);
          for (long j = 0; j < length; j++) {
            values.add(in.value(key + "[" + j + "]", elementType));
          }
          metadata.put(key, Collections.unmodifiableList(values));
        }
      } else {
        checkType(key + " (type)", type);
        types.put(key, TYPE_NAMES[type]);
        metadata.put(key, in.value(key, type));
      }
    }
    long alignment = DEFAULT_ALIGNMENT;
    Object declared = metadata.get("general.alignment");
    if (declared != null) {
      if (!(declared instanceof Long a) || !"uint32".equals(types.get("general.alignment")) || a < 1
          || a > (1 << 20) || (a & (a - 1)) != 0) {
        throw new GgufFormatException("general.alignment", String.valueOf(declared),
            "must be a uint32 power of two of at most 2^20");
      }
      alignment = (Long) declared;
    }
    List<TensorInfo> infos = new ArrayList<>();
    for (long i = 0; i < tensorCount; i++) {
      String name = in.string("tensor[" + i + "].name", MAX_KEY_BYTES);
      String where = "tensor " + name;
      long dimCount = Integer.toUnsignedLong(in.int32(where + " dimension count"));
      if (dimCount < 1 || dimCount > MAX_DIMS) {
        throw new GgufFormatException(where + " dimension count", Long.toString(dimCount),
            "must be between 1 and " + MAX_DIMS);
      }
      long[] dims = new long[(int) dimCount];
      for (int d = 0; d < dimCount; d++) {
        dims[d] = in.int64(where + " dimension " + d);
        if (dims[d] < 0) {
          throw new GgufFormatException(where + " dimension " + d, Long.toUnsignedString(dims[d]),
              "is past 2^63");
        }
      }
      int ggmlType = in.int32(where + " type");
      long offset = in.int64(where + " offset");
      if (wantedTensors.contains(name)) {
        infos.add(new TensorInfo(name, dims, ggmlType, offset));
      }
    }
    long dataStart = align(in.position(), alignment);
    if (dataStart > in.size) {
      throw new GgufFormatException("data section", Long.toString(dataStart),
          "starts past the end of the file (" + in.size + " bytes)");
    }
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, float[]> data = new LinkedHashMap<>();
    for (TensorInfo info : infos) {
      if (tensors.containsKey(info.name())) {
        throw new GgufFormatException("tensor " + info.name(), null, "appears twice in the tensor infos");
      }
      TensorInfo absolute = readableVector(info, dataStart, alignment, in.size);
      tensors.put(info.name(), absolute);
      data.put(info.name(), in.floats(absolute));
    }
    return new GgufFile(version, metadata, types, tensors, data, tensorCount);
  }

  /** The info with its offset made absolute, once it is known to be a float32 vector inside the file. */
  private static TensorInfo readableVector(TensorInfo info, long dataStart, long alignment, long size)
      throws GgufFormatException {
    String where = "tensor " + info.name();
    if (info.ggmlType() != GGML_TYPE_F32) {
      throw new GgufFormatException(where + " type", Integer.toUnsignedString(info.ggmlType()),
          "must be 0 (F32): its values are factors read as float32");
    }
    for (int d = 1; d < info.dims().length; d++) {
      if (info.dims()[d] != 1) {
        throw new GgufFormatException(where + " shape", java.util.Arrays.toString(info.dims()),
            "must be a vector");
      }
    }
    long elements = info.dims()[0];
    if (elements < 1 || elements > MAX_READ_TENSOR_ELEMENTS) {
      throw new GgufFormatException(where + " shape", Long.toString(elements),
          "must hold between 1 and " + MAX_READ_TENSOR_ELEMENTS + " values");
    }
    long offset = info.offset();
    if (offset < 0 || offset % alignment != 0 || offset > size - dataStart
        || elements * 4 > size - dataStart - offset) {
      throw new GgufFormatException(where + " offset", Long.toUnsignedString(offset),
          "with " + elements + " float32 values must lie inside the data section (bytes " + dataStart + " to "
              + size + ") at a multiple of the alignment " + alignment);
    }
    return new TensorInfo(info.name(), info.dims(), info.ggmlType(), dataStart + offset);
  }

  private static long align(long position, long alignment) {
    long rest = position % alignment;
    return rest == 0 ? position : position + alignment - rest;
  }

  private static void checkType(String field, int type) throws GgufFormatException {
    if (type < 0 || type >= TYPE_NAMES.length) {
      throw new GgufFormatException(field, Integer.toUnsignedString(type), "is not a GGUF value type (0 to 12)");
    }
  }

  /** The fewest bytes one value of the type takes: what bounds a declared element count by the file's size. */
  private static int elementSize(int type) {
    return switch (type) {
      case 0, 1, 7 -> 1;
      case 2, 3 -> 2;
      case 4, 5, 6 -> 4;
      case TYPE_STRING, 10, 11, 12 -> 8;
      default -> 1;
    };
  }

  /** Sequential reads through a window over the source; positions and counts are checked against its size. */
  private static final class Cursor {
    private static final int WINDOW = 64 * 1024;

    private final Source source;
    private final long size;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
    private long windowStart;
    private long position;

    Cursor(Source source) throws IOException {
      this.source = source;
      this.size = source.size();
      window.limit(0);
    }

    long position() {
      return position;
    }

    /** Makes the next {@code n} bytes (at most the window) readable, or names the field the file ends in. */
    private void need(String field, int n) throws IOException {
      if (n > size - position) {
        throw new GgufFormatException(field, null, "needs " + n + " bytes at offset " + position
            + ", past the end of the file (" + size + " bytes)");
      }
      long inWindow = position - windowStart;
      if (inWindow >= 0 && inWindow + n <= window.limit()) {
        window.position((int) inWindow);
        return;
      }
      int length = (int) Math.min(WINDOW, size - position);
      source.readFully(position, window.array(), 0, length);
      windowStart = position;
      window.position(0).limit(length);
    }

    void skip(String field, long n) throws GgufFormatException {
      if (n > size - position) {
        throw new GgufFormatException(field, Long.toUnsignedString(n), "bytes at offset " + position
            + " run past the end of the file (" + size + " bytes)");
      }
      position += n;
    }

    int int32(String field) throws IOException {
      need(field, 4);
      int v = window.getInt();
      position += 4;
      return v;
    }

    long int64(String field) throws IOException {
      need(field, 8);
      long v = window.getLong();
      position += 8;
      return v;
    }

    /** A uint64 count of things of at least {@code minBytes} each, which must fit in what is left of the file. */
    long count(String field, int minBytes, boolean capped) throws IOException {
      long n = int64(field);
      if (n < 0 || capped && n > MAX_ENTRIES || n > (size - position) / minBytes) {
        throw new GgufFormatException(field, Long.toUnsignedString(n), "is more than the rest of the file ("
            + (size - position) + " bytes) can hold" + (capped ? " or more than " + MAX_ENTRIES : ""));
      }
      return n;
    }

    /** A string; one longer than {@code maxKept} is skipped and read as null. */
    String string(String field, int maxKept) throws IOException {
      long length = int64(field + " (length)");
      if (length < 0 || length > size - position) {
        throw new GgufFormatException(field + " (length)", Long.toUnsignedString(length),
            "runs past the end of the file (" + (size - position) + " bytes left at offset " + position + ")");
      }
      if (length > maxKept) {
        if (maxKept == MAX_KEY_BYTES) {
          throw new GgufFormatException(field + " (length)", Long.toString(length),
              "is longer than the " + MAX_KEY_BYTES + " bytes a key or tensor name may have");
        }
        skip(field, length);
        return null;
      }
      byte[] bytes = new byte[(int) length];
      int done = 0;
      while (done < bytes.length) {
        int chunk = Math.min(WINDOW, bytes.length - done);
        need(field, chunk);
        window.get(bytes, done, chunk);
        position += chunk;
        done += chunk;
      }
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        throw new GgufFormatException(field, null, "is not valid UTF-8");
      }
    }

    Object value(String field, int type) throws IOException {
      return switch (type) {
        case 0 -> {
          need(field, 1);
          position += 1;
          yield (long) Byte.toUnsignedInt(window.get());
        }
        case 1 -> {
          need(field, 1);
          position += 1;
          yield (long) window.get();
        }
        case 2 -> {
          need(field, 2);
          position += 2;
          yield (long) Short.toUnsignedInt(window.getShort());
        }
        case 3 -> {
          need(field, 2);
          position += 2;
          yield (long) window.getShort();
        }
        case 4 -> Integer.toUnsignedLong(int32(field));
        case 5 -> (long) int32(field);
        case 6 -> (double) Float.intBitsToFloat(int32(field));
        case 7 -> {
          need(field, 1);
          position += 1;
          byte b = window.get();
          if (b != 0 && b != 1) {
            throw new GgufFormatException(field, Integer.toString(b), "is not a bool (0 or 1)");
          }
          yield b == 1;
        }
        case TYPE_STRING -> string(field, MAX_KEPT_STRING_BYTES);
        case 10 -> {
          long v = int64(field);
          if (v < 0) {
            throw new GgufFormatException(field, Long.toUnsignedString(v), "is past 2^63");
          }
          yield v;
        }
        case 11 -> int64(field);
        case 12 -> Double.longBitsToDouble(int64(field));
        default -> throw new GgufFormatException(field, Integer.toString(type), "is not a GGUF value type");
      };
    }

    void skipString(String field) throws IOException {
      long length = int64(field + " (length)");
      if (length < 0) {
        throw new GgufFormatException(field + " (length)", Long.toUnsignedString(length),
            "runs past the end of the file");
      }
      skip(field, length);
    }

    float[] floats(TensorInfo info) throws IOException {
      int n = (int) info.dims()[0];
      byte[] bytes = new byte[n * 4];
      source.readFully(info.offset(), bytes, 0, bytes.length);
      float[] values = new float[n];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      return values;
    }
  }
}
