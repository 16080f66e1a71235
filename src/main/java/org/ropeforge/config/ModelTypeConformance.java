package org.ropeforge.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether a config's model_type is one the conformance suite checks against transformers' own rotary modules, and
 * which transformers version's semantics the resolution applies. The known model types are a resource generated
 * from the conformance references of transformers 5.18 and 5.17 (conformance_table.py), never a hand-written list.
 * The rules follow 5.18. Where 5.18 changed them, its rule is applied: (1) the top-level rope_theta and
 * partial_rotary_factor fill each entry of a per-layer-type rope_parameters dictionary that lacks them (5.17 set
 * them next to the entries, convert_rope_params_to_dict); (2) a fully rotated odd head dimension is refused (5.18
 * validate_rope), while an odd partial rotary dimension is rounded up to the next even one, its exponents keeping
 * the odd denominator (5.18 names this rule; both versions' modules compute the same). Also named by 5.18, and the
 * same in 5.17: (3) a dictionary keyed by layer types is per layer type only when the config declares those layer
 * types (nested_rope_parameter_keys), so one whose keys no layer_types names is refused (transformers would read
 * it flat and ignore its entries). On the references of both versions, every model type in every form gives the same values, so
 * the 5.17 references are checked with the same rules.
 *
 * @param modelType the config's model_type (the root one for composite configs), or empty when it has none
 * @param status whether the conformance table holds that model type
 * @param semanticsVersion the transformers version whose semantics the rules follow
 */
public record ModelTypeConformance(String modelType, Status status, String semanticsVersion) {
  /** The transformers version whose semantics the rules follow and the references were generated from. */
  public static final String SEMANTICS_VERSION = "5.18";

  private static final String RESOURCE = "conformance-model-types.txt";
  private static final Set<String> KNOWN = load();

  /**
   * KNOWN: in the conformance table (matched there, or refused by name there); UNKNOWN: resolved by the generic
   * rules only.
   */
  public enum Status {
    KNOWN, UNKNOWN;

    /** The value written to params lines, manifests and file metadata. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static ModelTypeConformance of(String modelType) {
    String type = modelType == null ? "" : modelType;
    return new ModelTypeConformance(type, KNOWN.contains(type) ? Status.KNOWN : Status.UNKNOWN, SEMANTICS_VERSION);
  }

  /** Why an unknown model type is unknown, for warnings and refusals alike. */
  public String unknownReason() {
    return modelType.isEmpty() ? "the config has no model_type"
        : "model_type \"" + modelType + "\" is not in the conformance table of transformers " + semanticsVersion;
  }

  /** The refusal of an unknown model type when unknown model types are refused. */
  public org.ropeforge.core.RopeConfigException refusal(String modelId) {
    return new org.ropeforge.core.RopeConfigException(modelId, "model_type",
        modelType.isEmpty() ? null : '"' + modelType + '"',
        (modelType.isEmpty() ? "is missing: " : "= \"" + modelType + "\": ") + unknownReason()
            + ", and --unknown-model-types refuse is set");
  }

  /** The model types of the conformance table, sorted. */
  public static Set<String> knownModelTypes() {
    return KNOWN;
  }

  private static Set<String> load() {
    try (InputStream in = ModelTypeConformance.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      Set<String> out = new TreeSet<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String entry = line.strip();
        if (!entry.isEmpty() && !entry.startsWith("#")) {
          out.add(entry);
        }
      }
      return java.util.Collections.unmodifiableSet(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
