package org.ropeforge.spark.plan;

import java.util.Locale;

/** The outputs a run can write, by their option names. */
public enum OutputFormat {
  /** One safetensors file per (model, context length). */
  SAFETENSORS("safetensors"),
  /** The Parquet params dataset, and the tables dataset when asked for. */
  PARQUET("parquet");

  private final String cliName;

  OutputFormat(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** The format of an option value, or IllegalArgumentException naming {@code option} and the choices. */
  public static OutputFormat parse(String text, String option) {
    for (OutputFormat f : values()) {
      if (f.cliName.equals(text.trim().toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new IllegalArgumentException("Option '" + option + "' has '" + text + "' but must be from "
        + String.join(", ", java.util.Arrays.stream(values()).map(OutputFormat::cliName).toList()));
  }
}
