package org.ropeforge.config;

import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.core.RopeConfigException;

/**
 * Zamba2: the shared attention blocks see the concatenation of the hidden state and the original embeddings, so
 * their heads are attention_head_dim wide (Zamba2Config: 2 x hidden_size // num_attention_heads when unset), and
 * the rotary embedding rotates over that.
 */
final class Zamba2Rule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("zamba2");
  }

  @Override
  List<String> reads() {
    return List.of("attention_head_dim", "hidden_size", "num_attention_heads");
  }

  @Override
  HeadDim headDim(TransformersNormalizer normalizer) {
    ConfigTree config = normalizer.config();
    JsonFields fields = config.fields();
    String path = config.textPath("attention_head_dim");
    Long explicit = fields.optPositiveInt(config.text(), "attention_head_dim", path);
    if (explicit != null) {
      normalizer.rules().add("zamba2: head_dim = attention_head_dim = " + explicit);
      return new HeadDim(config.checkedHeadDim(explicit, path), path);
    }
    String hiddenPath = config.textPath("hidden_size");
    Long hidden = fields.optPositiveInt(config.text(), "hidden_size", hiddenPath);
    Long heads = fields.optPositiveInt(config.text(), "num_attention_heads", config.textPath("num_attention_heads"));
    if (hidden == null || heads == null) {
      String missing = hidden == null ? hiddenPath : config.textPath("num_attention_heads");
      throw new RopeConfigException(config.modelId(), missing, null,
          "is missing, and attention_head_dim is missing: zamba2's attention head dimension cannot be derived");
    }
    long dim = 2 * hidden / heads;
    normalizer.rules().add("zamba2: attention_head_dim missing -> 2 x hidden_size // num_attention_heads = " + dim);
    return new HeadDim(config.checkedHeadDim(dim, hiddenPath), hiddenPath);
  }
}
