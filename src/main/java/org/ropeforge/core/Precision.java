package org.ropeforge.core;

import java.util.Locale;

/** How the numbers are computed. */
public enum Precision {
  /** All maths in double from the config's decimal values; every output rounded once. The default. */
  EXACT("exact"),
  /** Reproduces transformers' float32 pipeline step by step, for bit-level parity with PyTorch on CPU. */
  TORCH("torch");

  private final String cliName;

  Precision(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static Precision parse(String text) {
    for (Precision p : values()) {
      if (p.cliName.equals(text.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + text + "': expected exact or torch");
  }
}
