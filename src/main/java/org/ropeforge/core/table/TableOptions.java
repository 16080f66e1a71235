package org.ropeforge.core.table;

import java.util.Objects;
import org.ropeforge.core.Precision;

/**
 * How a table is stored and computed.
 *
 * @param layout arrangement of the rows and tensors
 * @param dtype element type of the cos/sin tensors
 * @param precision exact (double maths, one rounding) or torch (transformers' float32 recipe)
 */
public record TableOptions(Layout layout, Dtype dtype, Precision precision) {
  public static final TableOptions DEFAULT = new TableOptions(Layout.HALF, Dtype.F32, Precision.EXACT);

  public TableOptions {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(precision, "precision");
  }

  public TableOptions withLayout(Layout l) {
    return new TableOptions(l, dtype, precision);
  }

  public TableOptions withDtype(Dtype d) {
    return new TableOptions(layout, d, precision);
  }

  public TableOptions withPrecision(Precision p) {
    return new TableOptions(layout, dtype, p);
  }
}
