package org.ropeforge.spark.plan;

import java.io.Serializable;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.core.RopeConfigException;

/**
 * Why an output has an error row instead of files, as the manifest reports it. Every failure of the job becomes
 * one of these, through the factories below, which are the one place that turns an exception into words.
 *
 * @param field the config or manifest field at fault, as written; {@code config}, {@code model_id},
 *     {@code catalog}, {@code output} or {@code table} for problems outside a config; empty when none applies
 * @param value the offending value, or null
 * @param message the rule, naming the model
 */
public record Problem(String field, String value, String message) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A config that our rules refuse: the exception already names model, field, value and rule. */
  public static Problem of(RopeConfigException e) {
    return new Problem(e.field() == null ? "" : e.field(), e.value(), e.getMessage());
  }

  /** A catalog entry that cannot be used. */
  public static Problem of(CatalogEntry.Defect defect) {
    return new Problem(defect.field(), defect.value(), defect.message());
  }

  /** A failure while {@code doing} something (e.g. "Cannot write output"), with the exception's own words. */
  public static Problem of(String field, String value, String doing, Throwable e) {
    return new Problem(field, value, doing + ": " + describe(e));
  }

  /** An exception in one line: its type and message, without a stack trace. */
  public static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** An exception and its causes in one line, for a failure that ends a command. */
  public static String describeWithCauses(Throwable e) {
    StringBuilder b = new StringBuilder(describe(e));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      b.append(" (caused by ").append(describe(c)).append(')');
    }
    return b.toString();
  }

  /** {@code text} with control characters escaped, so that a message stays one readable line. */
  public static String printable(String text) {
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
