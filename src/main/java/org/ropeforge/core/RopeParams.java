package org.ropeforge.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The normalised RoPE parameter dictionary of one layer type (transformers' {@code rope_parameters}), with
 * typed getters whose errors name the model, the field path as the user wrote it, the value and the rule.
 *
 * <p>Values are {@link Double}, {@link Boolean}, {@link String}, or {@code double[]} (factor lists). Each key
 * remembers the path it was read from, so an error about a value copied from the top level of the config
 * points at the top level, not at the dictionary it was copied into.
 */
public final class RopeParams {
  /** Largest scaling factor accepted; published configs use at most a few hundred. */
  public static final double MAX_FACTOR = 1e6;
  /** Largest rope_theta accepted; published configs use at most about 1e9. */
  public static final double MAX_THETA = 1e15;
  /** Longest length accepted, in positions: tables address rows with 31-bit positions. */
  public static final long MAX_POSITIONS = 1L << 31;

  private final String modelId;
  private final String basePath;
  private final Map<String, Object> values;
  private final Map<String, String> paths;

  private RopeParams(String modelId, String basePath, Map<String, Object> values, Map<String, String> paths) {
    this.modelId = modelId;
    this.basePath = basePath;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.paths = Collections.unmodifiableMap(new LinkedHashMap<>(paths));
  }

  /** A builder for the dictionary found at {@code basePath} (e.g. {@code rope_scaling}) of the model's config. */
  public static Builder builder(String modelId, String basePath) {
    return new Builder(modelId, basePath);
  }

  public String modelId() {
    return modelId;
  }

  public Set<String> keys() {
    return values.keySet();
  }

  public boolean has(String key) {
    return values.get(key) != null;
  }

  /** Where the key came from in the config, e.g. {@code rope_scaling.factor}. */
  public String path(String key) {
    String known = paths.get(key);
    return known != null ? known : basePath.isEmpty() ? key : basePath + "." + key;
  }

  public Object raw(String key) {
    return values.get(key);
  }

  public String ropeType() {
    Object t = values.get("rope_type");
    return t == null ? "default" : t.toString();
  }

  public double requireDouble(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw missing(key);
    }
    if (!(v instanceof Double d)) {
      throw error(key, describe(v), "must be a number");
    }
    return d;
  }

  /** The value, or {@code fallback} when absent; NaN and infinities are refused here, once for every variant. */
  public double optDouble(String key, double fallback) {
    return has(key) ? requireDouble(key) : fallback;
  }

  /** A number that must be finite and strictly positive. */
  public double requirePositive(String key) {
    double v = requireDouble(key);
    if (!(v > 0) || Double.isInfinite(v)) {
      throw error(key, Double.toString(v), "must be a finite number > 0");
    }
    return v;
  }

  /** A finite number in (0, max]; the upper bound keeps absurd values from producing meaningless tables. */
  public double requirePositiveAtMost(String key, double max) {
    double v = requirePositive(key);
    if (v > max) {
      throw error(key, Double.toString(v), "must be at most " + max);
    }
    return v;
  }

  /** A scaling factor: positive and at most {@link #MAX_FACTOR}. */
  public double requireFactor(String key) {
    return requirePositiveAtMost(key, MAX_FACTOR);
  }

  /** A positive integer (JSON numbers like 4096.0 are accepted). */
  public long requirePositiveInteger(String key) {
    double v = requirePositive(key);
    if (v != Math.rint(v)) {
      throw error(key, Double.toString(v), "must be a whole number");
    }
    if (v > MAX_POSITIONS) {
      throw error(key, Double.toString(v), "must be at most " + MAX_POSITIONS + " (2^31)");
    }
    return (long) v;
  }

  public boolean optBoolean(String key, boolean fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Boolean b)) {
      throw error(key, describe(v), "must be true or false");
    }
    return b;
  }

  /** A list of finite positive numbers of exactly {@code expectedLength} values. */
  public double[] requireFactorList(String key, int expectedLength, String lengthRule) {
    Object v = values.get(key);
    if (v == null) {
      throw missing(key);
    }
    if (!(v instanceof double[] list)) {
      throw error(key, describe(v), "must be a list of numbers");
    }
    if (list.length != expectedLength) {
      throw new RopeConfigException(modelId, path(key), describe(v),
          "has " + list.length + " values, " + lengthRule + " is " + expectedLength);
    }
    for (int i = 0; i < list.length; i++) {
      if (!(list[i] > 0) || Double.isInfinite(list[i])) {
        throw new RopeConfigException(modelId, path(key) + "[" + i + "]", Double.toString(list[i]),
            "must be a finite number > 0");
      }
    }
    return list.clone();
  }

  public RopeConfigException missing(String key) {
    return new RopeConfigException(modelId, path(key), null,
        "is required by rope_type '" + ropeType() + "' but missing");
  }

  public RopeConfigException error(String key, String value, String rule) {
    return new RopeConfigException(modelId, path(key), value, "= " + value + " " + rule);
  }

  public static String describe(Object v) {
    if (v instanceof double[] list) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < list.length; i++) {
        if (i > 0) {
          sb.append(", ");
        }
        if (i == 8 && list.length > 10) {
          sb.append("... ").append(list.length - 8).append(" more");
          break;
        }
        sb.append(list[i]);
      }
      return sb.append(']').toString();
    }
    if (v instanceof String s) {
      return '"' + s + '"';
    }
    return String.valueOf(v);
  }

  /** Collects values with their source paths; the last write of a key wins. */
  public static final class Builder {
    private final String modelId;
    private final String basePath;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, String> paths = new LinkedHashMap<>();

    private Builder(String modelId, String basePath) {
      this.modelId = modelId;
      this.basePath = basePath;
    }

    public Builder put(String key, Object value, String path) {
      if (value == null) {
        values.remove(key);
        paths.remove(key);
      } else {
        values.put(key, value);
        paths.put(key, path);
      }
      return this;
    }

    public Builder putIfAbsent(String key, Object value, String path) {
      if (values.get(key) == null && value != null) {
        put(key, value, path);
      }
      return this;
    }

    public boolean has(String key) {
      return values.get(key) != null;
    }

    public Object get(String key) {
      return values.get(key);
    }

    public Builder remove(String key) {
      values.remove(key);
      paths.remove(key);
      return this;
    }

    public RopeParams build() {
      return new RopeParams(modelId, basePath, values, paths);
    }
  }
}
