package org.ropeforge.spark.plan;

import java.io.Serializable;
import java.util.Objects;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;

/**
 * One stored form of a table: a layout and a dtype. A run writes every table in each form it was asked for
 * ({@code --layouts} times {@code --dtypes}), computing it once.
 */
public record Encoding(Layout layout, Dtype dtype) implements Serializable {
  private static final long serialVersionUID = 1L;

  public Encoding {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(dtype, "dtype");
  }

  /** {@code <layout>-<dtype>}, e.g. {@code vllm-bf16}: how paths and logs name the form. */
  public String name() {
    return layout.cliName() + "-" + dtype.cliName();
  }

  @Override
  public String toString() {
    return name();
  }
}
