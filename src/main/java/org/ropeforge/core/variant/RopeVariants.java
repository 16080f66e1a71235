package org.ropeforge.core.variant;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;

/** The registry of variants by rope_type, and the key validation every variant shares. */
public final class RopeVariants {
  private static final Map<String, RopeVariant> BY_NAME;
  /** Types only vLLM has: they normalise, the vllm semantics computes them, transformers refuses them. */
  private static final Map<String, RopeVariant> VLLM_ONLY;

  /** Types that exist in the wild but cannot be computed from a config alone. */
  private static final Map<String, String> REFUSED = Map.of(
      "fope", "needs learned cos/sin coefficients from the checkpoint weights, which a config does not hold");

  static {
    Map<String, RopeVariant> m = new LinkedHashMap<>();
    for (RopeVariant v : List.of(new DefaultRope(), new LinearRope(), new DynamicNtkRope(), new NtkAlphaRope(),
        new YarnRope(), new LongRope(), new Llama3Rope(), new ProportionalRope())) {
      m.put(v.name(), v);
    }
    BY_NAME = Collections.unmodifiableMap(m);
    Map<String, RopeVariant> vllm = new LinkedHashMap<>();
    for (VllmOnlyRope v : VllmOnlyRope.ALL) {
      vllm.put(v.name(), v);
    }
    VLLM_ONLY = Collections.unmodifiableMap(vllm);
  }

  private RopeVariants() {}

  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  /**
   * The variant for the dictionary's rope_type; refuses unknown and weight-dependent types. A type only vLLM has
   * ({@link VllmOnlyRope}) is returned too: it normalises, and refuses when the transformers semantics computes it.
   */
  public static RopeVariant forParams(RopeParams params) {
    String type = params.ropeType();
    RopeVariant v = BY_NAME.get(type);
    if (v != null) {
      return v;
    }
    v = VLLM_ONLY.get(type);
    if (v != null) {
      return v;
    }
    String field = params.path("rope_type");
    String reason = REFUSED.get(type);
    if (reason != null) {
      throw new RopeConfigException(params.modelId(), field, '"' + type + '"',
          "= \"" + type + "\" is refused: this variant " + reason);
    }
    throw new RopeConfigException(params.modelId(), field, '"' + type + '"',
        "= \"" + type + "\" is not a known RoPE variant (known: " + String.join(", ", BY_NAME.keySet()) + ")");
  }

  /**
   * Checks the dictionary against the variant's declared keys: a missing required key is an error, an
   * unknown one a warning (returned, in key order).
   */
  public static List<String> validateKeys(RopeVariant variant, RopeParams params) {
    for (String key : new TreeSet<>(variant.requiredKeys())) {
      if (!params.has(key)) {
        throw params.missing(key);
      }
    }
    List<String> warnings = new ArrayList<>();
    for (String key : new TreeSet<>(params.keys())) {
      if (!variant.requiredKeys().contains(key) && !variant.optionalKeys().contains(key)
          && !RopeVariant.COMMON_KEYS.contains(key)) {
        warnings.add("model '" + params.modelId() + "': " + params.path(key) + " is not a key of rope_type '"
            + variant.name() + "'; ignored");
      }
    }
    return warnings;
  }
}
