package org.ropeforge.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.ropeforge.core.LayerRope;

/**
 * The serializable form of a {@link LayerRope}, for shipping between driver and executors; the core value
 * type stays free of any serialization concern. Equal specs give equal tables.
 */
final class LayerSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String layerType;
  private final String ropeType;
  private final int rotaryDim;
  private final double[] invFreq;
  private final double attentionFactor;
  private final Double softmaxScale;
  private final int[] mropeSection;
  private final double positionScale;
  private final double positionOffset;

  private LayerSpec(LayerRope r) {
    layerType = r.layerType();
    ropeType = r.ropeType();
    rotaryDim = r.rotaryDim();
    invFreq = r.invFreq();
    attentionFactor = r.attentionFactor();
    softmaxScale = r.softmaxScale();
    mropeSection = r.mropeSection();
    positionScale = r.positionScale();
    positionOffset = r.positionOffset();
  }

  static LayerSpec of(LayerRope rope) {
    return new LayerSpec(rope);
  }

  LayerRope toLayerRope() {
    return new LayerRope(layerType, ropeType, rotaryDim, invFreq, attentionFactor, softmaxScale, mropeSection,
        positionScale, positionOffset);
  }

  /** The same spec without its layer-type label: the part that decides the table's bytes. */
  LayerSpec unlabeled() {
    return layerType == null ? this : of(toLayerRope().withLayerType(null));
  }

  String layerType() {
    return layerType;
  }

  String ropeType() {
    return ropeType;
  }

  int rotaryDim() {
    return rotaryDim;
  }

  double[] invFreq() {
    return invFreq.clone();
  }

  double attentionFactor() {
    return attentionFactor;
  }

  Double softmaxScale() {
    return softmaxScale;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerSpec other
        && rotaryDim == other.rotaryDim
        && Double.compare(attentionFactor, other.attentionFactor) == 0
        && Double.compare(positionScale, other.positionScale) == 0
        && Double.compare(positionOffset, other.positionOffset) == 0
        && Objects.equals(layerType, other.layerType)
        && ropeType.equals(other.ropeType)
        && Arrays.equals(invFreq, other.invFreq)
        && Objects.equals(softmaxScale, other.softmaxScale)
        && Arrays.equals(mropeSection, other.mropeSection);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(layerType, ropeType, rotaryDim, attentionFactor, softmaxScale, positionScale,
        positionOffset);
    h = 31 * h + Arrays.hashCode(invFreq);
    return 31 * h + Arrays.hashCode(mropeSection);
  }

  @Override
  public String toString() {
    return "LayerSpec[" + (layerType == null ? "" : layerType + ", ") + ropeType + ", rotaryDim=" + rotaryDim
        + "]";
  }
}
