package org.ropeforge.hardening;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.format.Safetensors;
import org.ropeforge.format.SafetensorsFormatException;

/**
 * Seeded mutations of valid table files against the safetensors reader: forged header lengths, byte flips,
 * truncation, trailing bytes, invalid UTF-8, and structural edits of the header JSON (dtypes, shapes, offsets,
 * unknown and missing fields) re-encoded with a consistent length field. Every mutant must either read as a
 * valid file, whose every tensor then reads back, or fail with {@link SafetensorsFormatException}; nothing
 * else may escape, and no forged length may make the reader allocate beyond the file.
 */
class SafetensorsFuzzTest {
  private static final int MUTANTS = 12_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void everyMutantIsReadOrRefusedWithTheReadersOwnError() throws IOException {
    List<byte[]> bases = validFiles();
    Random random = new Random(20261128);
    int refused = 0;
    int accepted = 0;
    List<String> escapes = new ArrayList<>();
    int[] byKind = new int[Mutation.values().length];
    for (int i = 0; i < MUTANTS; i++) {
      byte[] base = bases.get(random.nextInt(bases.size()));
      Mutation kind = Mutation.values()[random.nextInt(Mutation.values().length)];
      byKind[kind.ordinal()]++;
      byte[] mutant = kind.apply(base, random);
      try {
        SeekableByteChannel channel = new BytesChannel(mutant);
        Safetensors.Header header = Safetensors.read(channel, "mutant-" + i);
        for (Safetensors.TensorInfo t : header.tensors()) {
          int length = (int) Math.min(t.byteLength(), 1 << 16);
          Safetensors.readData(channel, header, t, 0, length, "mutant-" + i);
        }
        accepted++;
      } catch (SafetensorsFormatException e) {
        refused++;
      } catch (Throwable e) {
        escapes.add("mutant " + i + " (" + kind + "): " + e);
      }
    }
    System.out.printf("safetensors fuzz: %d mutants (%s), %d refused with the reader's error, %d still valid%n",
        MUTANTS, kindsSummary(byKind), refused, accepted);
    assertTrue(escapes.isEmpty(), escapes.size() + " mutants escaped:\n" + String.join("\n",
        escapes.subList(0, Math.min(20, escapes.size()))));
    assertTrue(refused > MUTANTS / 2, "most mutants should be invalid, only " + refused + " were refused");
  }

  private static String kindsSummary(int[] byKind) {
    StringBuilder sb = new StringBuilder();
    for (Mutation m : Mutation.values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(m.name().toLowerCase()).append(' ').append(byKind[m.ordinal()]);
    }
    return sb.toString();
  }

  private static List<byte[]> validFiles() throws IOException {
    List<byte[]> out = new ArrayList<>();
    String[] configs = {"meta-llama__Llama-3.2-1B-Instruct.json", "google__gemma-3-27b-it.json",
        "deepseek-ai__DeepSeek-V3.json"};
    TableOptions[] options = {TableOptions.DEFAULT,
        new TableOptions(Layout.VLLM, Dtype.BF16, Precision.EXACT),
        new TableOptions(Layout.GPTJ, Dtype.F16, Precision.EXACT),
        new TableOptions(Layout.NEOX, Dtype.F64, Precision.EXACT)};
    for (String name : configs) {
      ModelConfig config = RopeResolver.parse(name, MalformedCorpus.base(name));
      ResolvedRope rope = RopeResolver.resolve(config, 16, RopeResolver.Options.DEFAULT);
      for (TableOptions o : options) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RopeTableFile.plan(rope, o, config.configSha256()).write(bytes);
        out.add(bytes.toByteArray());
      }
    }
    return out;
  }

  private static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /** A new file with {@code header} as its JSON (padded to 8 bytes) and {@code file}'s data section. */
  private static byte[] withHeader(byte[] file, String header) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    int dataStart = 8 + (int) headerLength(file);
    ByteBuffer out = ByteBuffer.allocate(8 + padded + file.length - dataStart).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    out.put(file, dataStart, file.length - dataStart);
    return out.array();
  }

  private enum Mutation {
    FORGED_LENGTH {
      @Override
      byte[] apply(byte[] f, Random r) {
        byte[] m = f.clone();
        long n = headerLength(f);
        long[] choices = {r.nextLong(), -1L, Long.MIN_VALUE, Long.MAX_VALUE, 0, 1, n - 1, n + 1, n + 8, n - 8,
            f.length, f.length - 7, f.length - 8, 100_000_001L, 99_999_999L, 1L << 32};
        ByteBuffer.wrap(m, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(choices[r.nextInt(choices.length)]);
        return m;
      }
    },
    HEADER_BYTE_FLIPS {
      @Override
      byte[] apply(byte[] f, Random r) {
        byte[] m = f.clone();
        int n = (int) headerLength(f);
        for (int k = 1 + r.nextInt(4); k > 0; k--) {
          m[8 + r.nextInt(n)] = (byte) r.nextInt(256);
        }
        return m;
      }
    },
    DATA_BYTE_FLIPS {
      @Override
      byte[] apply(byte[] f, Random r) {
        byte[] m = f.clone();
        int start = 8 + (int) headerLength(f);
        m[start + r.nextInt(f.length - start)] ^= (byte) (1 + r.nextInt(255));
        return m;
      }
    },
    TRUNCATED {
      @Override
      byte[] apply(byte[] f, Random r) {
        return Arrays.copyOf(f, r.nextInt(f.length));
      }
    },
    TRAILING_BYTES {
      @Override
      byte[] apply(byte[] f, Random r) {
        byte[] m = Arrays.copyOf(f, f.length + 1 + r.nextInt(64));
        for (int i = f.length; i < m.length; i++) {
          m[i] = (byte) r.nextInt(256);
        }
        return m;
      }
    },
    INVALID_UTF8 {
      @Override
      byte[] apply(byte[] f, Random r) {
        byte[] m = f.clone();
        int n = (int) headerLength(f);
        byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0,
            (byte) 0x80}};
        byte[] b = bad[r.nextInt(bad.length)];
        int at = 8 + 1 + r.nextInt(n - b.length - 1);
        System.arraycopy(b, 0, m, at, b.length);
        return m;
      }
    },
    STRUCTURAL {
      @Override
      byte[] apply(byte[] f, Random r) {
        try {
          ObjectNode root = (ObjectNode) MAPPER.readTree(new String(f, 8, (int) headerLength(f),
              StandardCharsets.UTF_8));
          List<String> names = new ArrayList<>();
          for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("__metadata__")) {
              names.add(name);
            }
          }
          ObjectNode t = (ObjectNode) root.get(names.get(r.nextInt(names.size())));
          switch (r.nextInt(12)) {
            case 0 -> t.put("dtype", new String[] {"F8", "f32", "", "U64", "BOOL", "F16", "I64"}[r.nextInt(7)]);
            case 1 -> ((ArrayNode) t.get("shape")).set(0, MAPPER.getNodeFactory().numberNode(
                new long[] {-1, 0, 1L << 62, Long.MAX_VALUE, 3}[r.nextInt(5)]));
            case 2 -> ((ArrayNode) t.get("data_offsets")).set(r.nextInt(2), MAPPER.getNodeFactory().numberNode(
                new long[] {-8, 0, 1L << 40, Long.MAX_VALUE, t.get("data_offsets").get(0).asLong() + 4}[r.nextInt(5)]));
            case 3 -> t.remove(new String[] {"dtype", "shape", "data_offsets"}[r.nextInt(3)]);
            case 4 -> t.put("extra", 1);
            case 5 -> t.putArray("shape").add(1.5);
            case 6 -> t.put("data_offsets", "0-8");
            case 7 -> {
              ArrayNode offsets = (ArrayNode) t.get("data_offsets");
              JsonNode a = offsets.get(0);
              offsets.set(0, offsets.get(1));
              offsets.set(1, a);
            }
            case 8 -> ((ObjectNode) root.get("__metadata__")).put("format_version", 1);
            case 9 -> root.put("__metadata__", "v1");
            case 10 -> root.set(names.get(0) + "_copy", t.deepCopy());
            default -> root.remove(names.get(r.nextInt(names.size())));
          }
          return withHeader(f, MAPPER.writeValueAsString(root));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    },
    HEADER_TEXT_EDITS {
      @Override
      byte[] apply(byte[] f, Random r) {
        String header = new String(f, 8, (int) headerLength(f), StandardCharsets.UTF_8).strip();
        String[] edits = {"{", "}", "[", "]", ",", ":", "\"", "1e999", "-0", "null", "\"dtype\":\"F32\","};
        int at = r.nextInt(header.length());
        String edited = switch (r.nextInt(3)) {
          case 0 -> header.substring(0, at) + edits[r.nextInt(edits.length)] + header.substring(at);
          case 1 -> header.substring(0, at) + header.substring(Math.min(header.length(), at + 1 + r.nextInt(8)));
          default -> "[".repeat(r.nextInt(5000)) + header;
        };
        return withHeader(f, edited);
      }
    };

    abstract byte[] apply(byte[] file, Random random);
  }

  /** A read-only channel over bytes, so the fuzz loop touches no disk. */
  private static final class BytesChannel implements SeekableByteChannel {
    private final byte[] bytes;
    private long position;

    BytesChannel(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (position >= bytes.length) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), bytes.length - position);
      dst.put(bytes, (int) position, n);
      position += n;
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

}
