package org.ropeforge.spark.plan;

import java.util.Arrays;
import java.util.Locale;

/** What the plan does with a model whose model_type is not in the conformance table. */
public enum UnknownModelTypes {
  /** Resolve it by the generic rules, log one warning per model type, and record it as {@code unknown}. */
  WARN("warn"),
  /** Refuse it: an error row naming the model type. */
  REFUSE("refuse");

  private final String cliName;

  UnknownModelTypes(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** The choice of an option value, or IllegalArgumentException naming {@code option} and the choices. */
  public static UnknownModelTypes parse(String text, String option) {
    for (UnknownModelTypes u : values()) {
      if (u.cliName.equals(text.trim().toLowerCase(Locale.ROOT))) {
        return u;
      }
    }
    throw new IllegalArgumentException("Option '" + option + "' is '" + text + "' but must be one of "
        + String.join(", ", Arrays.stream(values()).map(UnknownModelTypes::cliName).toList()));
  }
}
