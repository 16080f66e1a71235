package org.ropeforge.core.table;

/** One stored tensor of a table: the cosines, the sines, or both side by side in one row. */
public enum TablePart {
  COS("cos"),
  SIN("sin"),
  /** A row holds the cos half followed by the sin half ({@link Layout#VLLM}). */
  COS_SIN("cos_sin");

  private final String tensorName;

  TablePart(String tensorName) {
    this.tensorName = tensorName;
  }

  /** The tensor name in a safetensors file, before any {@code <layer_type>.} prefix. */
  public String tensorName() {
    return tensorName;
  }
}
