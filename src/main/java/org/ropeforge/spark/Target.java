package org.ropeforge.spark;

import java.io.Serializable;
import java.util.List;

/**
 * One row of the plan: a model at one context length, with its resolved layers, or the reason it has none.
 *
 * @param modelId the catalog's model id
 * @param contextLength the context length, or {@link #UNKNOWN_LENGTH} when the config could not be read
 * @param configUri where the config was read
 * @param configSha256 hex SHA-256 of the config bytes, or null when they could not be read
 * @param inputSha256 fingerprint of everything that decides the outputs (config, options, version)
 * @param layers resolved layers in the model's order, with their labels; empty on error
 * @param error the problem, or null
 */
record Target(
    String modelId,
    long contextLength,
    String configUri,
    String configSha256,
    String inputSha256,
    List<LayerSpec> layers,
    Problem error)
    implements Serializable {

  static final long UNKNOWN_LENGTH = -1;

  Target {
    layers = List.copyOf(layers);
  }

  static Target failed(CatalogEntry entry, long contextLength, String configSha256, Problem error) {
    return new Target(entry.modelId(), contextLength, entry.configUri(), configSha256, null, List.of(), error);
  }

  boolean ok() {
    return error == null;
  }

  /** The table-deciding part: the layers without labels, in order. */
  List<LayerSpec> specKey() {
    return layers.stream().map(LayerSpec::unlabeled).toList();
  }

  /** What went wrong, as the manifest reports it. */
  record Problem(String field, String value, String message) implements Serializable {}
}
