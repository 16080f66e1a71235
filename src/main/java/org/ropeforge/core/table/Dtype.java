package org.ropeforge.core.table;

import java.util.Locale;

/** Element type of a stored table. Every value is rounded once, to nearest even, from the computed value. */
public enum Dtype {
  F32("f32", "F32", 4),
  F16("f16", "F16", 2),
  BF16("bf16", "BF16", 2),
  F64("f64", "F64", 8);

  private final String cliName;
  private final String safetensorsName;
  private final int size;

  Dtype(String cliName, String safetensorsName, int size) {
    this.cliName = cliName;
    this.safetensorsName = safetensorsName;
    this.size = size;
  }

  public String cliName() {
    return cliName;
  }

  /** The dtype string of the safetensors header. */
  public String safetensorsName() {
    return safetensorsName;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  public static Dtype parse(String text) {
    for (Dtype d : values()) {
      if (d.cliName.equals(text.toLowerCase(Locale.ROOT))) {
        return d;
      }
    }
    throw new IllegalArgumentException("Unknown dtype '" + text + "' (supported: f32, f16, bf16, f64)");
  }
}
