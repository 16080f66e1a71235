package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.LayerRope.MropeOrder;
import org.ropeforge.core.RopeParams;

/**
 * How one model family's transformers code departs from the generic normalisation, registered by model_type in
 * {@link FamilyRules}: transformers has one configuration and one modeling file per model, and a family whose
 * rotary embedding reads other fields than the common path gets one such class here. Every hook has the generic
 * behaviour as its default, so a rule overrides only what its model's code does differently, and declares in
 * {@link #reads()} the config fields it reads for that.
 */
abstract class FamilyRule {
  /** The model_type values (after {@link FamilyDefaults#family}) this rule is registered under. */
  abstract Set<String> modelTypes();

  /** The config fields this rule reads beyond the generic ones, as named in config.json. */
  abstract List<String> reads();

  /**
   * Keys from the root to the language model's config when this family keeps it elsewhere than the generic
   * text_config, language_config or llm_config (transformers' get_text_config(decoder=True) for this family).
   */
  List<String> textConfigPath(String family) {
    return List.of();
  }

  /**
   * Fields transformers reads under another name for this family (its config class's attribute_map): generic
   * name to this family's name.
   */
  Map<String, String> attributeMap() {
    return Map.of();
  }

  /** The head dimension the rotary embedding rotates over, or null for the generic derivation. */
  HeadDim headDim(TransformersNormalizer normalizer) {
    return null;
  }

  /** Whether a top-level rotary_dim sets the rotated part, as it does for the families that have one. */
  boolean readsRotaryDim() {
    return true;
  }

  /** Whether the rotary embedding applies partial_rotary_factor to the head dimension. */
  boolean readsPartialRotaryFactor() {
    return true;
  }

  /** Keys of a per-layer-type dictionary that are not attention layer types (DeepSeek-V4's main/compress). */
  Set<String> perLayerTypeKeys() {
    return Set.of();
  }

  /** Refuses, by name, a config this family's code would read in a way these rules do not reproduce. */
  void refuse(TransformersNormalizer normalizer, JsonNode dict, boolean perLayerTypeDictionary) {}

  /**
   * The layer specs of a flat (or absent) dictionary when this family's config class expands it into per-layer-
   * type parameters, or null for the generic single entry.
   */
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    return null;
  }

  /** Class defaults filled in when the config has no RoPE dictionary at all. */
  void emptyDictionaryDefaults(RopeParams.Builder b, String path, List<String> rules) {}

  /**
   * The order in which this family's rotary embedding assigns frequencies to its mrope sections' position axes, or
   * null for the generic reading ({@code mrope_interleaved}); may fill the family's default sections into
   * {@code b}, and refuses by name the sections and rope types its code does not reproduce.
   */
  MropeOrder mropeOrder(TransformersNormalizer normalizer, RopeParams.Builder b, String layerType, HeadDim headDim) {
    return null;
  }

  /** The head dimension a layer type of a per-layer-type dictionary rotates over. */
  HeadDim perLayerTypeHeadDim(TransformersNormalizer normalizer, String layerType, HeadDim headDim) {
    return headDim;
  }
}
