package org.ropeforge.spark.write;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.spark.plan.Target;

/**
 * A table format for testing the job's distribution logic on its own: each byte is a simple function of
 * (invFreq[0], part, position, column), so that a test can recompute any byte of any file independently.
 */
public final class FakeTables implements TableWriting {
  private static final long serialVersionUID = 1L;

  /** The factory the job takes: every layout, dtype, precision and semantics get the same fake format. */
  public static final Factory FACTORY = (layout, dtype, precision, semantics) -> new FakeTables();

  /** Fails on fill when a layer's first inverse frequency is this value. */
  public static final double POISON = 13.0;

  @Override
  public int parts() {
    return 2;
  }

  @Override
  public int rowBytes(LayerRope layer) {
    return layer.rotaryDim();
  }

  @Override
  public byte[] header(Target target) {
    return ("HDR " + target.modelId() + " " + target.contextLength() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] layerPrefix(LayerRope layer) {
    return ("inv " + layer.invFreq()[0] + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public long fileSize(Target target) {
    return expectedFile(target).length;
  }

  @Override
  public String contentKey(Target target) {
    StringBuilder key = new StringBuilder().append(target.contextLength());
    for (LayerRope layer : target.layers()) {
      key.append('/').append(layer.layerType()).append(':').append(layer.rotaryDim()).append(':')
          .append(layer.invFreq()[0]);
    }
    return org.ropeforge.io.Sha256.hex(key.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public byte[] sharedHeader(Target target) {
    return ("HDR table " + target.contextLength() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public long sharedFileSize(Target target) {
    return expectedSharedFile(target).length;
  }

  /** Whether rows come as views of native memory of their own, reused from chunk to chunk, as a GPU's do. */
  private final boolean nativeViews;

  public FakeTables() {
    this(false);
  }

  private FakeTables(boolean nativeViews) {
    this.nativeViews = nativeViews;
  }

  /** The same bytes, served as a GPU serves them: read-only views of one native buffer, refilled for each chunk. */
  public static FakeTables withNativeViews() {
    return new FakeTables(true);
  }

  @Override
  public Rows rows(LayerRope layer, int part) {
    double seed = layer.invFreq()[0];
    int width = layer.rotaryDim();
    Rows rows = (from, to, buffer) -> {
      if (seed == POISON) {
        throw new IllegalStateException("poisoned layer");
      }
      int i = 0;
      for (long p = from; p < to; p++) {
        for (int j = 0; j < width; j++) {
          buffer[i++] = value(seed, part, p, j);
        }
      }
    };
    if (!nativeViews) {
      return rows;
    }
    return new Rows() {
      private ByteBuffer memory = ByteBuffer.allocateDirect(0);
      private byte[] staging = new byte[0];

      @Override
      public void fill(long from, long to, byte[] buffer) {
        rows.fill(from, to, buffer);
      }

      @Override
      public ByteBuffer view(long from, long to, int rowBytes, byte[] unused) {
        int bytes = (int) (to - from) * rowBytes;
        if (memory.capacity() < bytes) {
          memory = ByteBuffer.allocateDirect(bytes);
          staging = new byte[bytes];
        }
        rows.fill(from, to, staging);
        memory.clear();
        memory.put(staging, 0, bytes);
        return memory.slice(0, bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
      }
    };
  }

  public static byte value(double seed, int part, long position, int column) {
    return (byte) ((long) (seed * 1000) * 7 + part * 101 + position * 31 + column);
  }

  /** The whole file of a target, computed directly. */
  public byte[] expectedFile(Target target) {
    return expected(target, header(target));
  }

  /** The whole table file of a target in the content-addressed store, computed directly. */
  public byte[] expectedSharedFile(Target target) {
    return expected(target, sharedHeader(target));
  }

  private byte[] expected(Target target, byte[] header) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    bytes.writeBytes(header);
    for (LayerRope layer : target.layers()) {
      bytes.writeBytes(layerPrefix(layer));
      for (int part = 0; part < parts(); part++) {
        byte[] row = new byte[layer.rotaryDim()];
        for (long p = 0; p < target.contextLength(); p++) {
          for (int j = 0; j < row.length; j++) {
            row[j] = value(layer.invFreq()[0], part, p, j);
          }
          bytes.writeBytes(row);
        }
      }
    }
    return bytes.toByteArray();
  }

  public static LayerRope layer(String type, double seed, int rotaryDim) {
    double[] inv = new double[rotaryDim / 2];
    inv[0] = seed;
    for (int j = 1; j < inv.length; j++) {
      inv[j] = seed / (j + 1);
    }
    return new LayerRope(type, "default", rotaryDim, inv, 1.0, null, null, 1.0, 0.0);
  }

  public static Target target(String modelId, long length, LayerRope... layers) {
    return new Target(modelId, length, "file:/configs/" + modelId, "c0ffee", "input-" + modelId + "-" + length,
        List.of(layers), null);
  }
}
