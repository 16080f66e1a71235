package org.ropeforge.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.Semantics;

/**
 * A parsed config.json, immutable, ready to resolve at any context length under either semantics: it picks
 * {@link TransformersSemantics} or {@link ExllamaV2Mapping} by the options' semantics. Parsing is bounded (size,
 * nesting, string and number lengths), so untrusted bytes cannot exhaust the JVM. The transformers
 * normalisation runs once, on first use, and is kept: the default context lengths come from it too.
 */
public final class ModelConfig {
  /** Deepest JSON nesting accepted; real configs nest three or four levels. */
  public static final int MAX_NESTING_DEPTH = 64;

  // NaN and Infinity are accepted by the parser (Python's json writes them) so that they are refused with
  // the field's name by the checks, rather than as an anonymous syntax error.
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_NESTING_DEPTH)
          .maxStringLength(1 << 20)
          .maxNumberLength(400)
          .maxDocumentLength(ConfigBytes.MAX_BYTES)
          .build())
      .build());

  private final String modelId;
  private final String configSha256;
  private final ConfigTree tree;
  private TransformersSemantics transformers;

  private ModelConfig(String modelId, String configSha256, JsonNode root) {
    this.modelId = modelId;
    this.configSha256 = configSha256;
    this.tree = new ConfigTree(modelId, root);
  }

  static ModelConfig parse(String modelId, byte[] json) {
    ConfigBytes bytes;
    try {
      bytes = ConfigBytes.of(json);
    } catch (ConfigBytes.TooLargeException e) {
      throw new RopeConfigException(modelId, "", json.length + " bytes", e.getMessage());
    }
    return parse(modelId, bytes);
  }

  static ModelConfig parse(String modelId, ConfigBytes bytes) {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes.bytes());
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new RopeConfigException(modelId, "", null, "config is not valid JSON" + where + ": "
          + e.getOriginalMessage());
    } catch (IOException e) {
      throw new RopeConfigException(modelId, "", null, "config could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      String value = root == null ? "empty" : JsonFields.abbreviate(root);
      throw new RopeConfigException(modelId, "", value, "config must be a JSON object, got " + value);
    }
    return new ModelConfig(modelId, bytes.sha256(), root);
  }

  public String modelId() {
    return modelId;
  }

  /** Hex SHA-256 of the config bytes as read. */
  public String configSha256() {
    return configSha256;
  }

  /**
   * Whether this config's model_type (the root one, as the conformance table lists composite models) is in the
   * conformance table, and the transformers semantics version applied. The precompute job records it with every
   * row, beside the resolved parameters; a config without model_type is unknown.
   */
  public ModelTypeConformance conformance() {
    String rootType = tree.root().path("model_type").isTextual() ? tree.root().path("model_type").textValue() : null;
    return ModelTypeConformance.of(rootType);
  }

  /** The config's max_position_embeddings (or its alias, or the family default). */
  public long maxPositionEmbeddings() {
    return transformers().maxPositions();
  }

  /**
   * Context lengths to build when the catalog names none: max_position_embeddings, plus every layer's
   * original_max_position_embeddings when a scaled variant makes it a length of its own.
   */
  public List<Long> defaultContextLengths() {
    return transformers().defaultContextLengths();
  }

  ResolvedRope resolve(long contextLength, RopeResolver.Options options) {
    if (contextLength < 1 || contextLength > RopeParams.MAX_POSITIONS) {
      throw new RopeConfigException(modelId, "context_length", Long.toString(contextLength),
          "= " + contextLength + " must be between 1 and " + RopeParams.MAX_POSITIONS + " (2^31)");
    }
    if (options.semantics() == Semantics.EXLLAMAV2) {
      return ExllamaV2Mapping.resolve(tree, contextLength, options);
    }
    TransformersSemantics.refuseExllamaV2Options(modelId, options);
    if (options.semantics() == Semantics.VLLM) {
      return VllmSemantics.resolve(tree, transformers(), contextLength, options);
    }
    return transformers().resolve(contextLength, options);
  }

  private synchronized TransformersSemantics transformers() {
    if (transformers == null) {
      transformers = TransformersNormalizer.normalize(tree);
    }
    return transformers;
  }

  @Override
  public String toString() {
    return "ModelConfig[" + modelId + ", " + new String(configSha256.getBytes(StandardCharsets.US_ASCII), 0, 12,
        StandardCharsets.US_ASCII) + "]";
  }
}
