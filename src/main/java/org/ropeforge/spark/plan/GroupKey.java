package org.ropeforge.spark.plan;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.io.Sha256;

/**
 * The shuffle key that groups the plan's targets: for an ok target, 128 bits of the SHA-256 of its table key
 * (every layer's rotary dim, inverse frequencies, attention factor, position scale and offset, compared by their
 * bits as {@link LayerRope.TableKey} compares them); for an error row, one of {@link #ERROR_BUCKETS} buckets by
 * model id. Sixteen bytes a record instead of the frequency arrays themselves. The reducer still splits a group
 * by the exact table keys of its members, so that no two specs are ever written as one, whatever the hash does.
 *
 * @param high the digest's first 64 bits, or the error bucket
 * @param low the digest's next 64 bits, or 0 for an error row
 * @param error whether the group holds error rows
 */
public record GroupKey(long high, long low, boolean error) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Error rows are spread over this many groups, so that a catalog of bad entries does not meet in one task. */
  public static final int ERROR_BUCKETS = 256;

  /** The key of a target: its table spec's, or its error bucket. */
  public static GroupKey of(Target target) {
    if (!target.ok()) {
      return new GroupKey(Math.floorMod(target.modelId().hashCode(), ERROR_BUCKETS), 0, true);
    }
    return of(target.layers());
  }

  /** The key of the table spec of {@code layers}, in their order. */
  public static GroupKey of(List<LayerRope> layers) {
    MessageDigest digest = Sha256.newDigest();
    ByteBuffer buffer = ByteBuffer.allocate(64);
    buffer.putInt(layers.size());
    for (LayerRope layer : layers) {
      int n = layer.rotaryDim() / 2;
      buffer = room(digest, buffer, 40);
      buffer.putInt(layer.rotaryDim()).putInt(n)
          .putLong(Double.doubleToLongBits(layer.attentionFactor()))
          .putLong(Double.doubleToLongBits(layer.positionScale()))
          .putLong(Double.doubleToLongBits(layer.positionOffset()));
      for (int j = 0; j < n; j++) {
        buffer = room(digest, buffer, 8);
        buffer.putLong(Double.doubleToLongBits(layer.invFreq(j)));
      }
    }
    digest.update(buffer.array(), 0, buffer.position());
    ByteBuffer hash = ByteBuffer.wrap(digest.digest());
    return new GroupKey(hash.getLong(), hash.getLong(), false);
  }

  private static ByteBuffer room(MessageDigest digest, ByteBuffer buffer, int bytes) {
    if (buffer.remaining() < bytes) {
      digest.update(buffer.array(), 0, buffer.position());
      buffer.clear();
    }
    return buffer;
  }
}
