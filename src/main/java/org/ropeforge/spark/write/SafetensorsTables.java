package org.ropeforge.spark.write;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.RowEncoder;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.gpu.CudaTable;
import org.ropeforge.spark.plan.Target;

/**
 * {@link TableWriting} over the project's table generator ({@link RopeTable}) and file layout
 * ({@link RopeTableFile}): the only class of the job that knows either.
 */
public final class SafetensorsTables implements TableWriting {
  private static final long serialVersionUID = 2L;

  public static final Factory FACTORY = SafetensorsTables::new;

  private final Layout layout;
  private final Dtype dtype;
  private final Precision precision;
  private final Semantics semantics;
  private transient TableOptions options;

  public SafetensorsTables(Layout layout, Dtype dtype, Precision precision, Semantics semantics) {
    this.layout = layout;
    this.dtype = dtype;
    this.precision = precision;
    this.semantics = semantics;
  }

  /** TableOptions is not serializable: rebuilt from the enums after shipping. */
  private TableOptions options() {
    if (options == null) {
      options = new TableOptions(layout, dtype, precision);
    }
    return options;
  }

  /** The file of {@code target} as this format lays it out: header, tensors and their offsets. */
  public RopeTableFile plan(Target target) {
    return RopeTableFile.plan(rope(target), options(), target.configSha256(), target.modelTypeConformance());
  }

  /** The table file of {@code target} in the content-addressed store. */
  public RopeTableFile planShared(Target target) {
    return RopeTableFile.planShared(rope(target), options());
  }

  private ResolvedRope rope(Target target) {
    return new ResolvedRope(target.modelId(), target.contextLength(), semantics, precision, List.of(), List.of(),
        target.layers());
  }

  @Override
  public String contentKey(Target target) {
    return planShared(target).contentKey();
  }

  @Override
  public byte[] sharedHeader(Target target) {
    return planShared(target).header().encode();
  }

  @Override
  public long sharedFileSize(Target target) {
    return planShared(target).fileSize();
  }

  @Override
  public int parts() {
    return options().layout().parts().size();
  }

  @Override
  public int rowBytes(LayerRope layer) {
    return options().layout().rowWidth(layer.rotaryDim()) * options().dtype().size();
  }

  @Override
  public byte[] header(Target target) {
    return plan(target).header().encode();
  }

  @Override
  public byte[] layerPrefix(LayerRope layer) {
    ByteBuffer inv = RopeTableFile.invFreqBytes(layer);
    byte[] axis = layer.mropeAxis();
    byte[] bytes = new byte[inv.remaining() + (axis == null ? 0 : axis.length)];
    inv.get(bytes, 0, inv.remaining());
    if (axis != null) {
      System.arraycopy(axis, 0, bytes, bytes.length - axis.length, axis.length);
    }
    return bytes;
  }

  @Override
  public long fileSize(Target target) {
    return plan(target).fileSize();
  }

  @Override
  public Rows rows(LayerRope layer, int part) {
    return rows(layer, part, null);
  }

  @Override
  public void decode(LayerRope layer, byte[] source, int rows, boolean both, double[] cos, double[] sin) {
    RowEncoder.decode(dtype, source, rows, layer.rotaryDim() / 2, both, cos, sin);
  }

  @Override
  public int encode(LayerRope layer, int part, double[] cos, double[] sin, int rows, byte[] out) {
    return RowEncoder.encode(layout, dtype, layout.parts().get(part), layer.rotaryDim() / 2, cos, sin, rows, out);
  }

  @Override
  public Rows rows(LayerRope layer, int part, CudaDevice gpu) {
    RopeTable table = RopeTable.of(layer, options());
    TablePart tablePart = options().layout().parts().get(part);
    if (gpu != null && CudaTable.supports(options().layout())) {
      CudaTable cuda = CudaTable.of(gpu, table);
      return new Rows() {
        @Override
        public void fill(long from, long to, byte[] out) {
          cuda.fill(tablePart, from, to, out);
        }

        /** The rows in the table's pinned host memory: the bus's full rate, and no copy into the array. */
        @Override
        public ByteBuffer view(long from, long to, int rowBytes, byte[] buffer) {
          if (rowBytes != cuda.rowBytes()) {
            throw new IllegalArgumentException(
                "Rows of " + cuda.rowBytes() + " bytes asked for as rows of " + rowBytes + " bytes");
          }
          return cuda.fillPinned(tablePart, from, to);
        }

        @Override
        public String device() {
          return "cuda:" + gpu.ordinal();
        }

        @Override
        public void close() {
          cuda.close();
        }
      };
    }
    return new Rows() {
      private byte[] wrapped;
      private ByteBuffer buffer;

      @Override
      public void fill(long from, long to, byte[] out) {
        if (out != wrapped) {
          wrapped = out;
          buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        }
        buffer.clear();
        table.fill(tablePart, from, to, buffer);
      }
    };
  }
}
