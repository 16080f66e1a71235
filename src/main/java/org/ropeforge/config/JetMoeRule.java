package org.ropeforge.config;

import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.core.RopeConfigException;

/** JetMoE: attention heads are kv_channels wide, and its rotary embedding rotates over kv_channels. */
final class JetMoeRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("jetmoe");
  }

  @Override
  List<String> reads() {
    return List.of("kv_channels");
  }

  @Override
  HeadDim headDim(TransformersNormalizer normalizer) {
    ConfigTree config = normalizer.config();
    String path = config.textPath("kv_channels");
    Long kv = config.fields().optPositiveInt(config.text(), "kv_channels", path);
    if (kv == null) {
      throw new RopeConfigException(config.modelId(), path, null,
          "is missing: jetmoe rotates over kv_channels, its attention head width");
    }
    normalizer.rules().add("jetmoe: head_dim = kv_channels = " + kv);
    return new HeadDim(config.checkedHeadDim(kv, path), path);
  }
}
