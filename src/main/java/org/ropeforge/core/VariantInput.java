package org.ropeforge.core;

/**
 * What a variant needs besides its parameter dictionary: the model's geometry and the context length.
 *
 * @param params the normalised dictionary of this layer type
 * @param layerType the layer type label, or null for a single one
 * @param headDim the attention head dimension (MLA models: qk_rope_head_dim)
 * @param headDimPath the config field the head dimension came from, for error messages
 * @param partialInDefault whether this model's plain RoPE honours partial_rotary_factor; transformers'
 *     scaled variants always do, its per-model default functions only for some families (Phi, GPT-NeoX, GLM)
 * @param maxPositionEmbeddings the config's max_position_embeddings
 * @param contextLength the table length L; dynamic and longrope depend on it
 * @param precision exact or torch
 * @param softmaxScaleApplies whether the model multiplies its softmax scale by YaRN's mscale_all_dim term
 *     (DeepSeek's multi-head latent attention)
 */
public record VariantInput(
    RopeParams params,
    String layerType,
    int headDim,
    String headDimPath,
    boolean partialInDefault,
    long maxPositionEmbeddings,
    long contextLength,
    Precision precision,
    boolean softmaxScaleApplies) {

  public String modelId() {
    return params.modelId();
  }

  /** rope_theta, which must exceed 1 (else frequencies do not decay) and stay at most {@link RopeParams#MAX_THETA}. */
  public double theta() {
    double theta = params.requirePositiveAtMost("rope_theta", RopeParams.MAX_THETA);
    if (!(theta > 1)) {
      throw params.error("rope_theta", Double.toString(theta), "must be greater than 1");
    }
    return theta;
  }

  /** The rotated dimension d = int(head_dim × partial_rotary_factor), which must be even and at least 2. */
  public int rotaryDim(boolean applyPartial) {
    double partial = applyPartial ? params.optDouble("partial_rotary_factor", 1.0) : 1.0;
    if (!(partial > 0 && partial <= 1)) {
      throw params.error("partial_rotary_factor", Double.toString(partial), "must be in (0, 1]");
    }
    int dim = (int) (headDim * partial);
    if (dim < 2 || dim % 2 != 0) {
      String value = partial == 1.0 ? Integer.toString(headDim) : Double.toString(partial);
      throw new RopeConfigException(modelId(), partial == 1.0 ? headDimPath : params.path("partial_rotary_factor"),
          value,
          "gives rotary_dim " + dim + " (head_dim " + headDim + " x partial_rotary_factor " + partial
              + "), which must be even and at least 2");
    }
    return dim;
  }

  /**
   * The dimension d of transformers' frequency ladder arange(0, d, 2) / d, d = int(head_dim × partial_rotary_factor).
   * An odd d from a partial factor is kept: the ladder then has ceil(d/2) frequencies over denominator d and the
   * model rotates 2·ceil(d/2) dims, which still fit in the head (transformers 5.18 names this rule: "an odd partial
   * rotary dim is rounded up"). A fully rotated odd head dimension is refused by that rule's name, and a d below 2
   * as in {@link #rotaryDim}.
   */
  public int ladderDim(boolean applyPartial) {
    double partial = applyPartial ? params.optDouble("partial_rotary_factor", 1.0) : 1.0;
    int dim = partial > 0 && partial <= 1 ? (int) (headDim * partial) : 0;
    if (dim >= 3 && dim % 2 == 1 && dim + 1 <= headDim) {
      return dim;
    }
    if (dim >= 3 && dim % 2 == 1) {
      throw new RopeConfigException(modelId(), partial == 1.0 ? headDimPath : params.path("partial_rotary_factor"),
          partial == 1.0 ? Integer.toString(headDim) : Double.toString(partial),
          "gives rotary_dim " + dim + " (head_dim " + headDim + " x partial_rotary_factor " + partial + "): a fully "
              + "rotated odd head dimension is refused, as transformers 5.18 refuses it (RoPE requires an even rotary "
              + "dimension); its rotary embedding would give " + (dim + 1) / 2 + " frequencies, " + (dim + 1)
              + " rotated dims, for a head of " + headDim);
    }
    return rotaryDim(applyPartial);
  }

  public LayerRope layer(String ropeType, double[] invFreq, double attentionFactor, Double softmaxScale) {
    int[] sections = mropeSection();
    if (sections != null) {
      int total = 0;
      for (int section : sections) {
        total += section;
      }
      if (sections.length != 3 || total != invFreq.length) {
        throw new RopeConfigException(modelId(), params.path("mrope_section"), RopeParams.describe(params.raw(
            "mrope_section")), "= " + RopeParams.describe(params.raw("mrope_section")) + " must be three sections "
            + "(t, h, w) that sum to rotary_dim/2 = " + invFreq.length);
      }
    }
    return new LayerRope(layerType, ropeType, invFreq.length * 2, invFreq, attentionFactor, softmaxScale,
        sections, 1.0, 0.0, sections != null && params.optBoolean("mrope_interleaved", false)
            ? LayerRope.MropeOrder.INTERLEAVED : LayerRope.MropeOrder.BLOCKS);
  }

  private int[] mropeSection() {
    Object raw = params.raw("mrope_section");
    if (raw instanceof double[] section) {
      int[] out = new int[section.length];
      for (int i = 0; i < section.length; i++) {
        out[i] = (int) section[i];
      }
      return out;
    }
    return null;
  }
}
