package org.ropeforge.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of {@link FamilyRule}s by model_type, as {@code core.variant.RopeVariants} is for variants. A
 * model_type without a rule takes the generic normalisation.
 */
final class FamilyRules {
  private static final FamilyRule GENERIC = new FamilyRule() {
    @Override
    java.util.Set<String> modelTypes() {
      return java.util.Set.of();
    }

    @Override
    List<String> reads() {
      return List.of();
    }
  };

  private static final List<FamilyRule> ALL = List.of(
      new GptOssRule(), new Ministral3Rule(), new GemmaPerLayerRule(), new DbrxRule(), new MoonshineRule(),
      new JetMoeRule(), new Zamba2Rule(), new MiniMaxM3VlRule(), new DeepseekV4Rule(), new ModernBertRule(),
      new Olmo3Rule(), new NeoMmeRule(), new PerLayerClassDefaultsRule(), new NestedTextConfigRule(),
      new ClassDefaultLayerTypesRule(), new Step3p7Rule(), new Mistral4Rule(), new Ernie45VlRule());

  private static final Map<String, FamilyRule> BY_MODEL_TYPE;

  static {
    Map<String, FamilyRule> map = new LinkedHashMap<>();
    for (FamilyRule rule : ALL) {
      for (String type : rule.modelTypes()) {
        FamilyRule previous = map.put(type, rule);
        if (previous != null) {
          throw new IllegalStateException("model_type " + type + " has two family rules: "
              + previous.getClass().getSimpleName() + " and " + rule.getClass().getSimpleName());
        }
      }
    }
    BY_MODEL_TYPE = Collections.unmodifiableMap(map);
  }

  private FamilyRules() {}

  /** The rule of a family ({@link FamilyDefaults#family}), or the generic one. */
  static FamilyRule of(String family) {
    return BY_MODEL_TYPE.getOrDefault(family, GENERIC);
  }

  /** Every registered rule, in registration order. */
  static List<FamilyRule> all() {
    return ALL;
  }

  /** Every model_type with a rule of its own. */
  static Map<String, FamilyRule> byModelType() {
    return BY_MODEL_TYPE;
  }
}
