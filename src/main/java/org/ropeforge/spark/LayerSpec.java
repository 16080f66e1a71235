package org.ropeforge.spark;

import java.io.Serializable;
import org.ropeforge.core.LayerRope;

/**
 * A layer's resolved parameters as the job ships them between driver and executors. The value, its equality
 * and its hash are the core {@link LayerRope}'s own; this wrapper only narrows what the job reads of it. Equal
 * specs give equal tables.
 */
final class LayerSpec implements Serializable {
  private static final long serialVersionUID = 2L;

  private final LayerRope rope;

  private LayerSpec(LayerRope rope) {
    this.rope = rope;
  }

  static LayerSpec of(LayerRope rope) {
    return new LayerSpec(rope);
  }

  LayerRope toLayerRope() {
    return rope;
  }

  /** The same spec without its layer-type label: the part that decides the table's bytes. */
  LayerSpec unlabeled() {
    return rope.layerType() == null ? this : of(rope.withLayerType(null));
  }

  String layerType() {
    return rope.layerType();
  }

  String ropeType() {
    return rope.ropeType();
  }

  int rotaryDim() {
    return rope.rotaryDim();
  }

  double[] invFreq() {
    return rope.invFreq();
  }

  double attentionFactor() {
    return rope.attentionFactor();
  }

  Double softmaxScale() {
    return rope.softmaxScale();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerSpec other && rope.equals(other.rope);
  }

  @Override
  public int hashCode() {
    return rope.hashCode();
  }

  @Override
  public String toString() {
    return "LayerSpec" + rope;
  }
}
