package org.ropeforge.core.variant;

import java.util.List;
import java.util.Set;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * A {@code rope_type} that vLLM's {@code get_rope} dispatches but transformers has no variant for. It is known here
 * so that a config naming it normalises (its keys are declared, and checked, as for any variant) and reaches the
 * vllm semantics, which computes it ({@code core.vllm}); the transformers semantics refuses it by name.
 *
 * @param name the rope_type
 * @param vllmClass the class vLLM builds for it, named in the refusal
 * @param requiredKeys keys vLLM reads with {@code rope_parameters[key]}
 * @param optionalKeys keys vLLM reads with a default
 */
public record VllmOnlyRope(String name, String vllmClass, Set<String> requiredKeys, Set<String> optionalKeys)
    implements RopeVariant {

  /** The types, with the keys vLLM's {@code get_rope} and the class it builds read. */
  static final List<VllmOnlyRope> ALL = List.of(
      new VllmOnlyRope("ntk", "NTKScalingRotaryEmbedding", Set.of("factor"), Set.of("mixed_b")),
      new VllmOnlyRope("xdrope", "XDRotaryEmbedding", Set.of("alpha", "xdrope_section"), Set.of()),
      new VllmOnlyRope("openpangu", "MRotaryEmbeddingInterleaved", Set.of(), Set.of()),
      new VllmOnlyRope("mllama4", "Llama4VisionRotaryEmbedding", Set.of(), Set.of()),
      new VllmOnlyRope("telechat3-yarn", "TeleChat3RoPEScaledRotaryEmbedding", Set.of("factor"),
          Set.of("original_max_position_embeddings", "extrapolation_factor", "attn_factor", "beta_fast",
              "beta_slow", "truncate")));

  public VllmOnlyRope {
    requiredKeys = Set.copyOf(requiredKeys);
    optionalKeys = Set.copyOf(optionalKeys);
  }

  @Override
  public LayerRope compute(VariantInput in) {
    throw new RopeConfigException(in.modelId(), in.params().path("rope_type"), '"' + name + '"',
        "= \"" + name + "\" exists only in vLLM (" + vllmClass + "): transformers has no such rope_type; resolve it "
            + "with the vllm semantics");
  }
}
