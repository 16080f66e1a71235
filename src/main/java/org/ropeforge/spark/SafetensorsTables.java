package org.ropeforge.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.gpu.CudaTable;

/**
 * {@link TableWriting} over the project's table generator ({@link RopeTable}) and file layout
 * ({@link RopeTableFile}): the only class of the job that knows either.
 */
final class SafetensorsTables implements TableWriting {
  private static final long serialVersionUID = 1L;

  static final Factory FACTORY = (layout, dtype, precision, semantics) ->
      new SafetensorsTables(new TableOptions(Layout.parse(layout), Dtype.parse(dtype), precision),
          Semantics.parse(semantics));

  private final String layout;
  private final String dtype;
  private final Precision precision;
  private final Semantics semantics;
  private transient TableOptions options;

  SafetensorsTables(TableOptions options, Semantics semantics) {
    this.layout = options.layout().cliName();
    this.dtype = options.dtype().cliName();
    this.precision = options.precision();
    this.semantics = semantics;
    this.options = options;
  }

  private TableOptions options() {
    if (options == null) {
      options = new TableOptions(Layout.parse(layout), Dtype.parse(dtype), precision);
    }
    return options;
  }

  RopeTableFile plan(Target target) {
    List<LayerRope> layers = new ArrayList<>();
    for (LayerSpec layer : target.layers()) {
      layers.add(layer.toLayerRope());
    }
    ResolvedRope rope = new ResolvedRope(target.modelId(), target.contextLength(), semantics, precision,
        List.of(), List.of(), layers);
    return RopeTableFile.plan(rope, options(), target.configSha256());
  }

  @Override
  public int parts() {
    return options().layout().parts().size();
  }

  @Override
  public int rowBytes(LayerSpec layer) {
    return options().layout().rowWidth(layer.rotaryDim()) * options().dtype().size();
  }

  @Override
  public byte[] header(Target target) {
    return plan(target).header().encode();
  }

  @Override
  public byte[] layerPrefix(LayerSpec layer) {
    ByteBuffer inv = RopeTableFile.invFreqBytes(layer.toLayerRope());
    byte[] bytes = new byte[inv.remaining()];
    inv.get(bytes);
    return bytes;
  }

  @Override
  public long fileSize(Target target) {
    return plan(target).fileSize();
  }

  @Override
  public Rows rows(LayerSpec layer, int part) {
    return rows(layer, part, null);
  }

  @Override
  public Rows rows(LayerSpec layer, int part, CudaDevice gpu) {
    RopeTable table = RopeTable.of(layer.toLayerRope(), options());
    TablePart tablePart = options().layout().parts().get(part);
    if (gpu != null) {
      CudaTable cuda = CudaTable.of(gpu, table);
      return new Rows() {
        @Override
        public void fill(long from, long to, byte[] out) {
          cuda.fill(tablePart, from, to, out);
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
