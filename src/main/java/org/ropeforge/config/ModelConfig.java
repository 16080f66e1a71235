package org.ropeforge.config;

import java.util.List;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;

/** A parsed, normalised model config (work in progress: the resolver lands in the next commit). */
public final class ModelConfig {
  private final String modelId;
  private final String configSha256;

  private ModelConfig(String modelId, String configSha256) {
    this.modelId = modelId;
    this.configSha256 = configSha256;
  }

  static ModelConfig parse(String modelId, byte[] json) {
    throw new RopeConfigException(modelId, "", null, "config parsing is not implemented yet");
  }

  public String modelId() {
    return modelId;
  }

  /** Hex SHA-256 of the config bytes as read. */
  public String configSha256() {
    return configSha256;
  }

  /** Context lengths to build when the catalog names none: max_position_embeddings, plus the original when scaled. */
  public List<Long> defaultContextLengths() {
    throw new UnsupportedOperationException();
  }

  ResolvedRope resolve(long contextLength, RopeResolver.Options options) {
    throw new UnsupportedOperationException();
  }
}
