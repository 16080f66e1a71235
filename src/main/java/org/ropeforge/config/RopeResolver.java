package org.ropeforge.config;

import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;

/**
 * Entry point from a config.json to RoPE parameters: parse once with {@link #parse}, then resolve per context
 * length. All failures are {@link RopeConfigException}s naming the model, field, value and rule.
 */
public final class RopeResolver {
  private RopeResolver() {}

  /**
   * Options of a resolution.
   *
   * @param semantics whose interpretation to follow
   * @param precision exact (double) or torch (float32 pipeline)
   * @param alpha NTK alpha (ExLlamaV2 {@code scale_alpha_value}); 1 means none
   * @param maxSeqLen ExLlamaV2 {@code max_seq_len}; 0 means "the context length"
   */
  public record Options(Semantics semantics, Precision precision, double alpha, long maxSeqLen) {
    public static final Options DEFAULT = new Options(Semantics.TRANSFORMERS, Precision.EXACT, 1.0, 0);

    public Options withSemantics(Semantics s) {
      return new Options(s, precision, alpha, maxSeqLen);
    }

    public Options withPrecision(Precision p) {
      return new Options(semantics, p, alpha, maxSeqLen);
    }
  }

  /** Parses and normalises a config; bounded in size and depth, safe on untrusted bytes. */
  public static ModelConfig parse(String modelId, byte[] configJson) throws RopeConfigException {
    return ModelConfig.parse(modelId, configJson);
  }

  /** As {@link #parse(String, byte[])}, for bytes already read with their bound and hash. */
  public static ModelConfig parse(String modelId, ConfigBytes config) throws RopeConfigException {
    return ModelConfig.parse(modelId, config);
  }

  /** The parameters of every layer type at {@code contextLength}. */
  public static ResolvedRope resolve(ModelConfig config, long contextLength, Options options)
      throws RopeConfigException {
    return config.resolve(contextLength, options);
  }
}
