package org.ropeforge.config;

import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.core.RopeConfigException;

/**
 * Moonshine: encoder and decoder share one rotary embedding, built on hidden_size // num_attention_heads where
 * MoonshineConfig maps num_attention_heads to the encoder's head count. The decoder's attention uses its own
 * head count, so the rotary head dimension is the decoder's only when both counts agree; otherwise refused.
 */
final class MoonshineRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("moonshine");
  }

  @Override
  List<String> reads() {
    return List.of("hidden_size", "encoder_num_attention_heads", "decoder_num_attention_heads");
  }

  @Override
  HeadDim headDim(TransformersNormalizer normalizer) {
    ConfigTree config = normalizer.config();
    JsonFields fields = config.fields();
    String hiddenPath = config.textPath("hidden_size");
    String encoderPath = config.textPath("encoder_num_attention_heads");
    String decoderPath = config.textPath("decoder_num_attention_heads");
    Long hidden = fields.optPositiveInt(config.text(), "hidden_size", hiddenPath);
    Long encoder = fields.optPositiveInt(config.text(), "encoder_num_attention_heads", encoderPath);
    Long decoder = fields.optPositiveInt(config.text(), "decoder_num_attention_heads", decoderPath);
    if (hidden == null || encoder == null || decoder == null) {
      String missing = hidden == null ? hiddenPath : encoder == null ? encoderPath : decoderPath;
      throw new RopeConfigException(config.modelId(), missing, null,
          "is missing: moonshine's rotary head dimension is hidden_size // encoder_num_attention_heads");
    }
    if (!encoder.equals(decoder)) {
      throw new RopeConfigException(config.modelId(), decoderPath, Long.toString(decoder),
          "= " + decoder + " differs from " + encoderPath + " = " + encoder + ": moonshine's shared rotary "
              + "embedding is built on hidden_size // encoder_num_attention_heads, which is not the decoder's head "
              + "dimension; refused rather than resolved on either");
    }
    normalizer.rules().add("moonshine: head_dim = hidden_size // encoder_num_attention_heads = " + hidden / encoder
        + " (shared by encoder and decoder)");
    return new HeadDim(config.checkedHeadDim(hidden / encoder, hiddenPath), hiddenPath);
  }
}
