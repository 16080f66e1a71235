package org.ropeforge.core.table;

import java.util.List;
import java.util.Locale;

/**
 * How the rotary half-rows are arranged in the stored tensors. Every layout is derived from the same half
 * row {@code h_j = f(angle_j)}, j &lt; d/2, so all layouts of one table agree value for value.
 */
public enum Layout {
  /** Tensors {@code cos} and {@code sin}, each [L, d/2]: the unique half (ONNX Runtime caches, golden data). */
  HALF("half", 1, List.of(TablePart.COS, TablePart.SIN)),
  /** Tensors {@code cos} and {@code sin}, each [L, d]: {@code cat(h, h)}, as transformers' rotate_half expects. */
  NEOX("neox", 2, List.of(TablePart.COS, TablePart.SIN)),
  /** Tensors {@code cos} and {@code sin}, each [L, d]: every value repeated in place (GPT-J interleaved pairs). */
  GPTJ("gptj", 2, List.of(TablePart.COS, TablePart.SIN)),
  /** One tensor {@code cos_sin} [L, d]: {@code cat(cos_half, sin_half)}, vLLM's {@code cos_sin_cache}. */
  VLLM("vllm", 2, List.of(TablePart.COS_SIN)),
  /**
   * One tensor {@code cos_sin} [L, d/2, 2]: (cos_j, sin_j) side by side for every j, the memory of TensorRT-LLM's
   * {@code float2} pairs and of a complex64 {@code freqs_cis} ({@code torch.view_as_complex} reads it unchanged).
   */
  PAIRS("pairs", 2, List.of(TablePart.COS_SIN));

  private final String cliName;
  private final int widthFactor;
  private final List<TablePart> parts;

  Layout(String cliName, int widthFactor, List<TablePart> parts) {
    this.cliName = cliName;
    this.widthFactor = widthFactor;
    this.parts = parts;
  }

  /** The name used on the command line and in file metadata. */
  public String cliName() {
    return cliName;
  }

  /** The tensors of this layout, in the order they are stored. */
  public List<TablePart> parts() {
    return parts;
  }

  /**
   * The shape of one table tensor of {@code rows} rows: [L, row width], except {@code pairs}, whose last axis
   * of 2 keeps each (cos, sin) pair addressable as one element.
   */
  public long[] shape(long rows, int rotaryDim) {
    return this == PAIRS ? new long[] {rows, rotaryDim / 2, 2} : new long[] {rows, rowWidth(rotaryDim)};
  }

  /** Values per row of every tensor of this layout, for a table of rotary dim {@code rotaryDim}. */
  public int rowWidth(int rotaryDim) {
    return rotaryDim / 2 * widthFactor;
  }

  public static Layout parse(String text) {
    for (Layout l : values()) {
      if (l.cliName.equals(text.toLowerCase(Locale.ROOT))) {
        return l;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Layout l : values()) {
      names.append(names.length() == 0 ? "" : ", ").append(l.cliName);
    }
    throw new IllegalArgumentException("Unknown layout '" + text + "' (supported: " + names + ")");
  }
}
