package org.ropeforge.core;

/**
 * A config that cannot be turned into RoPE parameters. The message always names the model, the field path,
 * the offending value and the rule it breaks, e.g.
 * {@code model 'x': rope_scaling.long_factor has 47 values, rotary_dim/2 is 48}.
 */
public class RopeConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String modelId;
  private final String field;
  private final String value;
  private final String rule;

  public RopeConfigException(String modelId, String field, String value, String rule) {
    super("model '" + modelId + "': " + (field == null || field.isEmpty() ? "" : field + " ") + rule);
    this.modelId = modelId;
    this.field = field;
    this.value = value;
    this.rule = rule;
  }

  public String modelId() {
    return modelId;
  }

  /** Dotted path of the field in the config as written, e.g. {@code rope_scaling.factor}; may be empty. */
  public String field() {
    return field;
  }

  /** The offending value as text (JSON for structures), or null when the field is missing. */
  public String value() {
    return value;
  }

  /** The rule the value breaks, in words. */
  public String rule() {
    return rule;
  }
}
