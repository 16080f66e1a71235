package org.ropeforge.core.exl2;

import java.util.Objects;
import java.util.Set;

/**
 * The fields of an ExLlamaV2 model config that its {@code get_rope_params} reads, filled the way ExLlamaV2's
 * config loader fills them from config.json, plus the user's runtime knobs. Build it with {@link #builder}, so
 * that each value is named where it is set; the values of the methods not chosen keep neutral defaults, which
 * {@link ExllamaV2Rope} does not read.
 *
 * <p>Only invariants that no config can break are checked here; what a config can get wrong (an odd rotary
 * dimension, a theta out of range, a missing su factor list) is refused by {@link ExllamaV2Rope} with the
 * config field it came from.
 *
 * @param modelId for error messages
 * @param layerType layer type label, or null for a single one
 * @param altRopeMethod null, "su", "llama3" or "yarn"
 * @param base rotary_embedding_base
 * @param headDim head dimension
 * @param partialRotaryFactor top-level partial_rotary_factor (1 when absent)
 * @param maxSeqLen the runtime max_seq_len (the user's setting; the context length by default)
 * @param originalMaxSeqLen the config's trained length (LongRoPE: original_max_position_embeddings)
 * @param scalePosEmb linear position scale (positions are divided by it)
 * @param scaleAlphaValue NTK alpha, 1 for none
 * @param shortFactor LongRoPE short factors, or null
 * @param longFactor LongRoPE long factors, or null
 * @param yarnFactor YaRN factor
 * @param yarnOriginalMax YaRN original_max_position_embeddings
 * @param l3Factor Llama 3 factor
 * @param l3LowFreqFactor Llama 3 low_freq_factor
 * @param l3HighFreqFactor Llama 3 high_freq_factor
 * @param l3OriginalMax Llama 3 original_max_position_embeddings
 * @param posIdIndex added to every position (Gemma 3: 1)
 * @param ropeFreqHalf inverse frequencies rounded to float16 (Qwen2-VL architectures)
 * @param mropeSection multimodal sections, or null
 */
public record Exl2Settings(
    String modelId,
    String layerType,
    String altRopeMethod,
    double base,
    int headDim,
    double partialRotaryFactor,
    long maxSeqLen,
    long originalMaxSeqLen,
    double scalePosEmb,
    double scaleAlphaValue,
    double[] shortFactor,
    double[] longFactor,
    double yarnFactor,
    long yarnOriginalMax,
    double l3Factor,
    double l3LowFreqFactor,
    double l3HighFreqFactor,
    long l3OriginalMax,
    int posIdIndex,
    boolean ropeFreqHalf,
    int[] mropeSection) {

  /** The alternative methods {@link ExllamaV2Rope} implements; null selects plain RoPE. */
  private static final Set<String> ALT_ROPE_METHODS = Set.of("su", "llama3", "yarn");

  public Exl2Settings {
    Objects.requireNonNull(modelId, "modelId");
    if (altRopeMethod != null && !ALT_ROPE_METHODS.contains(altRopeMethod)) {
      throw new IllegalArgumentException("model '" + modelId + "': altRopeMethod \"" + altRopeMethod
          + "\" is not one of su, llama3, yarn (or null for plain RoPE)");
    }
    requireAtLeast(modelId, "headDim", headDim, 1);
    requireAtLeast(modelId, "maxSeqLen", maxSeqLen, 1);
    requireAtLeast(modelId, "originalMaxSeqLen", originalMaxSeqLen, 1);
    requireAtLeast(modelId, "posIdIndex", posIdIndex, 0);
  }

  private static void requireAtLeast(String modelId, String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException("model '" + modelId + "': " + name + " = " + value + " must be at least "
          + min);
    }
  }

  /** Settings for {@code modelId}; base, headDim, maxSeqLen and originalMaxSeqLen must be set before build. */
  public static Builder builder(String modelId) {
    return new Builder(modelId);
  }

  /**
   * Named settings. Defaults are ExLlamaV2's for a config without rope_scaling: no alternative method, no
   * position scale, alpha 1, factors 1, YaRN and Llama 3 original lengths equal to originalMaxSeqLen.
   */
  public static final class Builder {
    private final String modelId;
    private String layerType;
    private String altRopeMethod;
    private Double base;
    private Integer headDim;
    private double partialRotaryFactor = 1.0;
    private Long maxSeqLen;
    private Long originalMaxSeqLen;
    private double scalePosEmb = 1.0;
    private double scaleAlphaValue = 1.0;
    private double[] shortFactor;
    private double[] longFactor;
    private double yarnFactor = 1.0;
    private Long yarnOriginalMax;
    private double l3Factor = 1.0;
    private double l3LowFreqFactor = 1.0;
    private double l3HighFreqFactor = 1.0;
    private Long l3OriginalMax;
    private int posIdIndex;
    private boolean ropeFreqHalf;
    private int[] mropeSection;

    private Builder(String modelId) {
      this.modelId = Objects.requireNonNull(modelId, "modelId");
    }

    public Builder layerType(String layerType) {
      this.layerType = layerType;
      return this;
    }

    public Builder altRopeMethod(String altRopeMethod) {
      this.altRopeMethod = altRopeMethod;
      return this;
    }

    public Builder base(double base) {
      this.base = base;
      return this;
    }

    public Builder headDim(int headDim) {
      this.headDim = headDim;
      return this;
    }

    public Builder partialRotaryFactor(double partialRotaryFactor) {
      this.partialRotaryFactor = partialRotaryFactor;
      return this;
    }

    public Builder maxSeqLen(long maxSeqLen) {
      this.maxSeqLen = maxSeqLen;
      return this;
    }

    public Builder originalMaxSeqLen(long originalMaxSeqLen) {
      this.originalMaxSeqLen = originalMaxSeqLen;
      return this;
    }

    public Builder scalePosEmb(double scalePosEmb) {
      this.scalePosEmb = scalePosEmb;
      return this;
    }

    public Builder scaleAlphaValue(double scaleAlphaValue) {
      this.scaleAlphaValue = scaleAlphaValue;
      return this;
    }

    public Builder shortFactor(double[] shortFactor) {
      this.shortFactor = shortFactor;
      return this;
    }

    public Builder longFactor(double[] longFactor) {
      this.longFactor = longFactor;
      return this;
    }

    public Builder yarnFactor(double yarnFactor) {
      this.yarnFactor = yarnFactor;
      return this;
    }

    public Builder yarnOriginalMax(long yarnOriginalMax) {
      this.yarnOriginalMax = yarnOriginalMax;
      return this;
    }

    public Builder l3Factor(double l3Factor) {
      this.l3Factor = l3Factor;
      return this;
    }

    public Builder l3LowFreqFactor(double l3LowFreqFactor) {
      this.l3LowFreqFactor = l3LowFreqFactor;
      return this;
    }

    public Builder l3HighFreqFactor(double l3HighFreqFactor) {
      this.l3HighFreqFactor = l3HighFreqFactor;
      return this;
    }

    public Builder l3OriginalMax(long l3OriginalMax) {
      this.l3OriginalMax = l3OriginalMax;
      return this;
    }

    public Builder posIdIndex(int posIdIndex) {
      this.posIdIndex = posIdIndex;
      return this;
    }

    public Builder ropeFreqHalf(boolean ropeFreqHalf) {
      this.ropeFreqHalf = ropeFreqHalf;
      return this;
    }

    public Builder mropeSection(int[] mropeSection) {
      this.mropeSection = mropeSection;
      return this;
    }

    /** The settings; IllegalStateException naming the first required value that was never set. */
    public Exl2Settings build() {
      requireSet(base, "base");
      requireSet(headDim, "headDim");
      requireSet(maxSeqLen, "maxSeqLen");
      requireSet(originalMaxSeqLen, "originalMaxSeqLen");
      return new Exl2Settings(modelId, layerType, altRopeMethod, base, headDim, partialRotaryFactor, maxSeqLen,
          originalMaxSeqLen, scalePosEmb, scaleAlphaValue, shortFactor, longFactor, yarnFactor,
          yarnOriginalMax != null ? yarnOriginalMax : originalMaxSeqLen, l3Factor, l3LowFreqFactor,
          l3HighFreqFactor, l3OriginalMax != null ? l3OriginalMax : originalMaxSeqLen, posIdIndex, ropeFreqHalf,
          mropeSection);
    }

    private void requireSet(Object value, String name) {
      if (value == null) {
        throw new IllegalStateException("Exl2Settings of model '" + modelId + "': " + name + " is not set");
      }
    }
  }
}
