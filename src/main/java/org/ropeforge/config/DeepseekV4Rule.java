package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeConfigException;

/**
 * DeepSeek-V4: two rotary embeddings, "main" on rope_theta and "compress" on compress_rope_theta, keyed so in
 * rope_parameters (not by layer type), each rotating head_dim x partial_rotary_factor dimensions: head_dim, not
 * qk_rope_head_dim, is what its rotary embedding reads. A v4-style config (top-level rope_theta and
 * compress_rope_theta) gives the same two.
 */
final class DeepseekV4Rule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("deepseek_v4");
  }

  @Override
  List<String> reads() {
    return List.of("head_dim", "rope_theta", "compress_rope_theta", "partial_rotary_factor");
  }

  @Override
  Set<String> perLayerTypeKeys() {
    return Set.of("main", "compress");
  }

  @Override
  HeadDim headDim(TransformersNormalizer normalizer) {
    ConfigTree config = normalizer.config();
    String path = config.textPath("head_dim");
    Long headDim = config.fields().optPositiveInt(config.text(), "head_dim", path);
    if (headDim == null) {
      throw new RopeConfigException(config.modelId(), path, null,
          "is missing: deepseek_v4's rotary embeddings rotate head_dim x partial_rotary_factor dimensions");
    }
    normalizer.rules().add("deepseek_v4: rotary embeddings read head_dim = " + headDim + ", not qk_rope_head_dim");
    return new HeadDim(config.checkedHeadDim(headDim, path), path);
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    if (dict.size() > 0 && !"default".equals(dict.path("rope_type").asText(dict.path("type").asText("default")))) {
      throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
          "is a flat scaled dictionary: how deepseek_v4 shares it between its main and compress rotary embeddings "
              + "is not modelled; give rope_parameters with main and compress entries");
    }
    JsonFields fields = config.fields();
    Double compress = fields.optNumber(config.text(), "compress_rope_theta", config.textPath("compress_rope_theta"));
    if (compress == null) {
      throw new RopeConfigException(config.modelId(), config.textPath("compress_rope_theta"), null,
          "is missing: deepseek_v4's compress rotary embedding needs it when rope_parameters has no compress entry");
    }
    ObjectNode perKey = JsonNodeFactory.instance.objectNode();
    ObjectNode main = perKey.putObject("main");
    main.put("rope_type", "default");
    ObjectNode comp = perKey.putObject("compress");
    comp.put("rope_type", "default");
    comp.put("rope_theta", compress);
    normalizer.rules().add("deepseek_v4: main rotary embedding on rope_theta, compress on compress_rope_theta");
    return normalizer.perLayerTypeLayers(perKey, dictPath, headDim, maxPositions);
  }
}
