package org.ropeforge.spark.plan;

import java.util.Arrays;
import java.util.Locale;

/** How table files are laid out below the output root. */
public enum Store {
  /** One file per (model, length) at {@code safetensors/<model_id>/rope-<L>.safetensors}, naming its model. */
  PER_MODEL("per-model"),
  /**
   * One file per distinct table at {@code tables/<content key>.safetensors}, describing the table alone; every
   * (model, length) that has it points to it from its manifest and params rows, so a table that N models share
   * is written once.
   */
  CONTENT_ADDRESSED("content-addressed");

  private final String cliName;

  Store(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** The store of an option value, or IllegalArgumentException naming {@code option} and the choices. */
  public static Store parse(String text, String option) {
    for (Store s : values()) {
      if (s.cliName.equals(text.trim().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("Option '" + option + "' is '" + text + "' but must be one of "
        + String.join(", ", Arrays.stream(values()).map(Store::cliName).toList()));
  }
}
