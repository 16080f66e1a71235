package org.ropeforge.format;

import java.io.IOException;

/**
 * A GGUF file whose bytes break the format or a bound of the reader: the only exception {@link GgufFile} lets
 * out for anything in the file, so that a caller can turn every malformed file into an error row.
 */
public final class GgufFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String value;
  private final String rule;

  /**
   * @param field what is wrong, as GGUF names it: a metadata key, {@code header.magic}, {@code tensor
   *     rope_freqs.weight offset}...
   * @param value the offending value as read, or null
   * @param rule the rule it breaks
   */
  public GgufFormatException(String field, String value, String rule) {
    super(field + (value == null ? "" : " = " + value) + " " + rule);
    this.field = field;
    this.value = value;
    this.rule = rule;
  }

  /** The rule broken, with the value when there is one: the message without the field. */
  public String rule() {
    return (value == null ? "" : "= " + value + " ") + rule;
  }

  public String field() {
    return field;
  }

  public String value() {
    return value;
  }
}
