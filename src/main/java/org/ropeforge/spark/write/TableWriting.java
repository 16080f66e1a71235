package org.ropeforge.spark.write;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.spark.plan.Target;

/**
 * Every call the job makes into the table generator and the safetensors format, behind one interface, so that
 * the job's distribution logic does not depend on how tables are computed or laid out.
 *
 * <p>A file is the header followed, for each layer in order, by the layer's fixed bytes ({@link #layerPrefix},
 * e.g. its inverse frequencies) and then its table tensors in order ("parts", e.g. cos then sin), each being
 * {@code contextLength} rows of {@link #rowBytes} bytes.
 */
public interface TableWriting extends Serializable {

  /** Makes the table writing of one output format; shipped to executors. */
  interface Factory extends Serializable {
    TableWriting create(Layout layout, Dtype dtype, Precision precision, Semantics semantics);
  }

  /** Tensors per layer, stored one after the other. */
  int parts();

  /** Bytes of one row of one tensor of {@code layer}. */
  int rowBytes(LayerRope layer);

  /** The complete header of the file of {@code target}: everything before the first tensor byte. */
  byte[] header(Target target);

  /** Bytes stored before the layer's table parts; the same for every file that has this layer's table. */
  byte[] layerPrefix(LayerRope layer);

  /** The size the file of {@code target} must have; a mismatch means the layout and the data disagree. */
  long fileSize(Target target);

  /**
   * The name of {@code target}'s table file in the content-addressed store: the same for every target whose
   * tables, length and labels are the same, whatever its model.
   */
  String contentKey(Target target);

  /** The header of {@code target}'s table file in the content-addressed store: the table's alone, no model's. */
  byte[] sharedHeader(Target target);

  /** The size {@code target}'s table file must have in the content-addressed store. */
  long sharedFileSize(Target target);

  /** Writes rows [from, to) of part {@code part} of {@code layer}'s table. */
  Rows rows(LayerRope layer, int part);

  /**
   * As {@link #rows(LayerRope, int)}, computed on {@code gpu} where this format can (the bytes are the same);
   * {@code gpu} null, or a format without a GPU kernel, means the CPU. {@link Rows#device} tells which ran.
   */
  default Rows rows(LayerRope layer, int part, CudaDevice gpu) {
    return rows(layer, part);
  }

  /**
   * Of a source writing (the half rows in the source dtype, see {@link TableForms}): reads {@code rows} rows of
   * its part bytes into values, {@code both} halves of each row ({@code cos} then {@code sin}) or one part (to
   * {@code cos}), {@code rotaryDim / 2} values a row. Formats that cannot share a computation between forms
   * refuse.
   */
  default void decode(LayerRope layer, byte[] source, int rows, boolean both, double[] cos, double[] sin) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot decode source rows");
  }

  /**
   * Stores {@code rows} rows of decoded source values as part {@code part} of this form's table of
   * {@code layer} into {@code out}, the bytes {@link #rows} gives for them; returns the bytes written.
   */
  default int encode(LayerRope layer, int part, double[] cos, double[] sin, int rows, byte[] out) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot encode source rows");
  }

  /** A source of table rows, reused across ranges; not thread-safe. Close it to free device memory. */
  interface Rows extends AutoCloseable {
    /** Fills {@code buffer[0 .. (to - from) * rowBytes)} with the little-endian bytes of rows [from, to). */
    void fill(long from, long to, byte[] buffer);

    /**
     * Rows [from, to), {@code rowBytes} bytes each, as a little-endian buffer from position 0 to its limit:
     * {@code buffer} filled and wrapped, or memory of the source's own that already holds them (a GPU's pinned
     * host buffer), which saves the copy into the array. Valid until the next call on these rows.
     */
    default ByteBuffer view(long from, long to, int rowBytes, byte[] buffer) {
      fill(from, to, buffer);
      return ByteBuffer.wrap(buffer, 0, Math.toIntExact((to - from) * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Where the rows are computed: {@code cpu}, or {@code cuda:<ordinal>}. */
    default String device() {
      return "cpu";
    }

    @Override
    default void close() {}
  }
}
