package org.ropeforge.core;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * The resolved RoPE parameters of one layer type at one context length: everything needed to build its
 * cos/sin table, and nothing that is not. Immutable value; equal values give byte-identical tables, so it
 * is the deduplication key of the table stage. Serializable, so that the Spark job can ship it to executors
 * as it is.
 *
 * <p>Two layers whose {@link #tableKey()}s are equal have byte-identical tables in any one precision, layout and
 * dtype; that key, not the whole value, is what the table stage deduplicates on.
 *
 * <p>Table row for position p (0-based): angle_j = ((p + positionOffset) / positionScale) * invFreq[j], and
 * the stored values are cos(angle_j) * attentionFactor and sin(angle_j) * attentionFactor.
 *
 * @param layerType the layer type ({@code full_attention}, ...) or null when the model has a single one
 * @param ropeType the variant, as transformers names it ({@code default}, {@code yarn}, ...)
 * @param rotaryDim number of rotated channels; {@code invFreq.length == rotaryDim / 2}
 * @param invFreq inverse frequencies; in torch precision each is an exact float32 value
 * @param attentionFactor factor multiplied into cos and sin
 * @param softmaxScale multiplier of the attention softmax scale (DeepSeek YaRN), or null; not part of the table
 * @param mropeSection multimodal RoPE sections (Qwen2-VL), or null; not part of the table
 * @param positionScale positions are divided by this (ExLlamaV2 {@code scale_pos_emb}); 1 otherwise
 * @param positionOffset added to positions before scaling (ExLlamaV2 {@code pos_id_index}); 0 otherwise
 * @param mropeOrder how the mrope sections map frequencies to position axes ({@link MropeOrder}); not part of the
 *     table
 */
public record LayerRope(
    String layerType,
    String ropeType,
    int rotaryDim,
    double[] invFreq,
    double attentionFactor,
    Double softmaxScale,
    int[] mropeSection,
    double positionScale,
    double positionOffset,
    MropeOrder mropeOrder)
    implements Serializable {

  /** How a model assigns its d/2 frequencies to the t, h and w position axes of its mrope sections. */
  public enum MropeOrder {
    /** Consecutive blocks of t, h, w frequencies (Qwen2-VL, GLM-4V). */
    BLOCKS,
    /** Frequencies dealt out t, h, w in turn (Qwen3-VL's {@code mrope_interleaved}). */
    INTERLEAVED,
    /**
     * ERNIE 4.5 VL: the first section_h + section_w frequencies alternate h, w (equal sections), the rest are t;
     * what its rotary embedding's permuted buffer and recomposition amount to in ascending frequency order.
     */
    HW_ALTERNATING
  }

  /** Axis codes of {@link #mropeAxis()}: the position component each frequency is multiplied by. */
  public static final byte AXIS_T = 0;
  public static final byte AXIS_H = 1;
  public static final byte AXIS_W = 2;

  /** Parameters with blocked mrope sections (or none). */
  public LayerRope(String layerType, String ropeType, int rotaryDim, double[] invFreq, double attentionFactor,
      Double softmaxScale, int[] mropeSection, double positionScale, double positionOffset) {
    this(layerType, ropeType, rotaryDim, invFreq, attentionFactor, softmaxScale, mropeSection, positionScale,
        positionOffset, MropeOrder.BLOCKS);
  }

  /**
   * For multimodal RoPE, the position axis (t 0, h 1, w 2) of each of the d/2 frequencies, so that a consumer
   * can apply the table without the model's code; null without mrope sections. Blocked sections take
   * consecutive frequencies (Qwen2-VL, GLM-4V); interleaved ones (Qwen3-VL) give frequency j to h when
   * j mod 3 = 1 and j &lt; 3·section_h, to w when j mod 3 = 2 and j &lt; 3·section_w, and to t otherwise; ERNIE 4.5
   * VL's ({@link MropeOrder#HW_ALTERNATING}) give frequency j &lt; section_h + section_w to h when j is even and to w
   * when it is odd, and the rest to t. (ERNIE's sections are listed h, w, t; the others' t, h, w.)
   *
   * @throws IllegalStateException when the sections do not cover the d/2 frequencies exactly, or, for ERNIE's
   *     order, its h and w sections differ, which the config stage refuses earlier with the model's name
   */
  public byte[] mropeAxis() {
    if (mropeSection == null) {
      return null;
    }
    int half = rotaryDim / 2;
    int total = 0;
    for (int section : mropeSection) {
      total += section;
    }
    if (mropeSection.length != 3 || total != half) {
      throw new IllegalStateException("mrope sections " + Arrays.toString(mropeSection)
          + " must be three that sum to rotary_dim/2 = " + half);
    }
    byte[] axis = new byte[half];
    if (mropeOrder == MropeOrder.HW_ALTERNATING) {
      if (mropeSection[0] != mropeSection[1]) {
        throw new IllegalStateException("mrope sections " + Arrays.toString(mropeSection)
            + " alternate h and w only when those two sections are equal");
      }
      for (int j = 0; j < half; j++) {
        axis[j] = j >= mropeSection[0] + mropeSection[1] ? AXIS_T : j % 2 == 0 ? AXIS_H : AXIS_W;
      }
    } else if (mropeOrder == MropeOrder.INTERLEAVED) {
      for (int j = 0; j < half; j++) {
        if (j % 3 == 1 && j < 3 * mropeSection[1]) {
          axis[j] = AXIS_H;
        } else if (j % 3 == 2 && j < 3 * mropeSection[2]) {
          axis[j] = AXIS_W;
        } else {
          axis[j] = AXIS_T;
        }
      }
    } else {
      for (int j = mropeSection[0]; j < half; j++) {
        axis[j] = j < mropeSection[0] + mropeSection[1] ? AXIS_H : AXIS_W;
      }
    }
    return axis;
  }

  public LayerRope {
    Objects.requireNonNull(ropeType, "ropeType");
    Objects.requireNonNull(mropeOrder, "mropeOrder");
    Objects.requireNonNull(invFreq, "invFreq");
    if (invFreq.length * 2 != rotaryDim) {
      throw new IllegalArgumentException(
          "invFreq has " + invFreq.length + " values, rotaryDim/2 is " + rotaryDim / 2);
    }
    invFreq = invFreq.clone();
    mropeSection = mropeSection == null ? null : mropeSection.clone();
  }

  @Override
  public double[] invFreq() {
    return invFreq.clone();
  }

  @Override
  public int[] mropeSection() {
    return mropeSection == null ? null : mropeSection.clone();
  }

  /** The inverse frequency of pair j, without copying the array. */
  public double invFreq(int j) {
    return invFreq[j];
  }

  /** True when positions are used as they are (the usual case outside ExLlamaV2 semantics). */
  public boolean plainPositions() {
    return positionScale == 1.0 && positionOffset == 0.0;
  }

  /**
   * The identity of this layer's table: exactly the values a row is computed from. The layer-type label, the
   * rope type, the softmax scale and the mrope sections are left out on purpose: none of them changes a row
   * (the first two are names, the softmax scale applies to attention logits, and the mrope sections say which
   * position axis a consumer feeds to each frequency), so layers that differ only in them share one table.
   */
  public TableKey tableKey() {
    return new TableKey(rotaryDim, invFreq, attentionFactor, positionScale, positionOffset);
  }

  /**
   * What decides a table's rows: see {@link #tableKey()}. Doubles compare by their bits, as the rows do.
   *
   * @param rotaryDim number of rotated channels
   * @param invFreq inverse frequencies (not copied out again: the key is only compared and hashed)
   * @param attentionFactor factor multiplied into cos and sin
   * @param positionScale positions are divided by this
   * @param positionOffset added to positions before scaling
   */
  public record TableKey(int rotaryDim, double[] invFreq, double attentionFactor, double positionScale,
      double positionOffset) implements Serializable {
    private static final long serialVersionUID = 1L;

    public TableKey {
      invFreq = invFreq.clone();
    }

    @Override
    public double[] invFreq() {
      return invFreq.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TableKey other
          && rotaryDim == other.rotaryDim
          && Double.compare(attentionFactor, other.attentionFactor) == 0
          && Double.compare(positionScale, other.positionScale) == 0
          && Double.compare(positionOffset, other.positionOffset) == 0
          && Arrays.equals(invFreq, other.invFreq);
    }

    @Override
    public int hashCode() {
      return 31 * Objects.hash(rotaryDim, attentionFactor, positionScale, positionOffset)
          + Arrays.hashCode(invFreq);
    }

    @Override
    public String toString() {
      return "TableKey[rotaryDim=" + rotaryDim + ", attentionFactor=" + attentionFactor + ", positionScale="
          + positionScale + ", positionOffset=" + positionOffset + ", invFreq[0]="
          + (invFreq.length == 0 ? "none" : invFreq[0]) + "]";
    }
  }

  /** The same parameters under another layer-type label; tables do not depend on the label. */
  public LayerRope withLayerType(String newLayerType) {
    return new LayerRope(newLayerType, ropeType, rotaryDim, invFreq, attentionFactor, softmaxScale,
        mropeSection, positionScale, positionOffset, mropeOrder);
  }

  /** The same parameters with another mrope order; tables do not depend on it. */
  public LayerRope withMropeOrder(MropeOrder newOrder) {
    return new LayerRope(layerType, ropeType, rotaryDim, invFreq, attentionFactor, softmaxScale, mropeSection,
        positionScale, positionOffset, newOrder);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof LayerRope other)) {
      return false;
    }
    return rotaryDim == other.rotaryDim
        && Double.compare(attentionFactor, other.attentionFactor) == 0
        && Double.compare(positionScale, other.positionScale) == 0
        && Double.compare(positionOffset, other.positionOffset) == 0
        && Objects.equals(layerType, other.layerType)
        && ropeType.equals(other.ropeType)
        && Arrays.equals(invFreq, other.invFreq)
        && Objects.equals(softmaxScale, other.softmaxScale)
        && Arrays.equals(mropeSection, other.mropeSection)
        && mropeOrder == other.mropeOrder;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(layerType, ropeType, rotaryDim, attentionFactor, softmaxScale, positionScale,
        positionOffset);
    h = 31 * h + Arrays.hashCode(invFreq);
    return 31 * (31 * h + Arrays.hashCode(mropeSection)) + mropeOrder.ordinal();
  }

  @Override
  public String toString() {
    return "LayerRope[" + (layerType == null ? "" : layerType + ", ") + ropeType + ", rotaryDim=" + rotaryDim
        + ", attentionFactor=" + attentionFactor + "]";
  }
}
