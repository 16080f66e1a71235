package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.core.RopeConfigException;

/**
 * ERNIE 4.5 VL MoE: its text rotary embedding holds the usual frequencies theta^(-2i/d), but permuted for its
 * three position axes (height and width take the even and odd ones of the first part, time the rest), and the
 * model pairs each rotated dimension with the frequency at that permuted position. A table in the usual order
 * would rotate the wrong dimensions, and this frequency order is not one these tables can carry.
 */
final class Ernie45VlRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("ernie4_5_vl_moe");
  }

  @Override
  List<String> reads() {
    return List.of("model_type");
  }

  @Override
  void refuse(TransformersNormalizer normalizer, JsonNode dict, boolean perLayerTypeDictionary) {
    ConfigTree config = normalizer.config();
    String path = config.textPath("model_type");
    String family = config.family();
    throw new RopeConfigException(config.modelId(), path, '"' + family + '"',
        "= \"" + family + "\" is not supported: ERNIE 4.5 VL's text rotary embedding stores its frequencies "
            + "permuted for its three position axes (height, width and time sections), and the model rotates each "
            + "dimension by the frequency at that permuted position; tables hold frequencies in ascending-exponent "
            + "order only, so it is refused rather than resolved into a table that would rotate the wrong "
            + "dimensions");
  }
}
