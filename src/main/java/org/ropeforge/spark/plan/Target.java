package org.ropeforge.spark.plan;

import java.io.Serializable;
import java.util.List;
import org.ropeforge.core.LayerRope;

/**
 * One row of the plan: a model at one context length, with its resolved layers, or the reason it has none.
 *
 * @param modelId the catalog's model id
 * @param contextLength the context length, or {@link #UNKNOWN_LENGTH} when the config could not be read
 * @param configUri where the config was read
 * @param configSha256 hex SHA-256 of the config bytes, or null when they could not be read
 * @param inputSha256 fingerprint of everything that decides the outputs (config, settings, version)
 * @param layers resolved layers in the model's order, with their labels; empty on error
 * @param error the problem, or null
 * @param modelTypeConformance {@code known} or {@code unknown}: whether the config's model_type is in the
 *     conformance table (see {@code config.ModelTypeConformance}); null where the config was not read
 * @param encoding the layout and dtype of this output in a run of several ({@link OutputSettings#severalEncodings});
 *     null in a run of one, whose outputs all have the run's, and whose paths and rows name none
 */
public record Target(
    String modelId,
    long contextLength,
    String configUri,
    String configSha256,
    String inputSha256,
    List<LayerRope> layers,
    Problem error,
    String modelTypeConformance,
    Encoding encoding)
    implements Serializable {
  private static final long serialVersionUID = 2L;

  public static final long UNKNOWN_LENGTH = -1;

  public Target {
    layers = List.copyOf(layers);
  }

  /** A target of a run of one layout and dtype. */
  public Target(String modelId, long contextLength, String configUri, String configSha256, String inputSha256,
      List<LayerRope> layers, Problem error, String modelTypeConformance) {
    this(modelId, contextLength, configUri, configSha256, inputSha256, layers, error, modelTypeConformance, null);
  }

  /** A target whose model type's conformance is not recorded. */
  public Target(String modelId, long contextLength, String configUri, String configSha256, String inputSha256,
      List<LayerRope> layers, Problem error) {
    this(modelId, contextLength, configUri, configSha256, inputSha256, layers, error, null);
  }

  static Target failed(String modelId, String configUri, long contextLength, String configSha256,
      Problem error) {
    return new Target(modelId, contextLength, configUri, configSha256, null, List.of(), error);
  }

  /** The same target in one form of a run of several, with that form's fingerprint (null on error). */
  public Target withEncoding(Encoding form, String formInputSha256) {
    return new Target(modelId, contextLength, configUri, configSha256, formInputSha256, layers, error,
        modelTypeConformance, form);
  }

  /** The same target with {@code same} as its layers: an equal list, shared with other targets. */
  public Target withLayers(List<LayerRope> same) {
    if (!same.equals(layers)) {
      throw new IllegalArgumentException("withLayers takes an equal list of layers, shared with other targets");
    }
    return new Target(modelId, contextLength, configUri, configSha256, inputSha256, same, error,
        modelTypeConformance, encoding);
  }

  /** The name of this output's form in paths and keys, or null in a run of one. */
  public String encodingName() {
    return encoding == null ? null : encoding.name();
  }

  public boolean ok() {
    return error == null;
  }

  /** What decides this target's table bytes: its layers' table keys, in order. Targets group by it. */
  public List<LayerRope.TableKey> tableKey() {
    return layers.stream().map(LayerRope::tableKey).toList();
  }
}
