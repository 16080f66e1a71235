package org.ropeforge.core.exl2;

/**
 * The fields of an ExLlamaV2 model config that its {@code get_rope_params} reads, filled the way ExLlamaV2's
 * config loader fills them from config.json, plus the user's runtime knobs.
 *
 * @param modelId for error messages
 * @param layerType layer type label, or null for a single one
 * @param altRopeMethod null, "su", "llama3" or "yarn"
 * @param base rotary_embedding_base
 * @param headDim head dimension
 * @param partialRotaryFactor top-level partial_rotary_factor (1 when absent)
 * @param maxSeqLen the runtime max_seq_len (the user's setting; the context length by default)
 * @param originalMaxSeqLen the config's trained length (LongRoPE: original_max_position_embeddings)
 * @param scalePosEmb linear position scale (positions are divided by it)
 * @param scaleAlphaValue NTK alpha, 1 for none
 * @param shortFactor LongRoPE short factors, or null
 * @param longFactor LongRoPE long factors, or null
 * @param yarnFactor YaRN factor
 * @param yarnOriginalMax YaRN original_max_position_embeddings
 * @param l3Factor Llama 3 factor
 * @param l3LowFreqFactor Llama 3 low_freq_factor
 * @param l3HighFreqFactor Llama 3 high_freq_factor
 * @param l3OriginalMax Llama 3 original_max_position_embeddings
 * @param posIdIndex added to every position (Gemma 3: 1)
 * @param ropeFreqHalf inverse frequencies rounded to float16 (Qwen2-VL architectures)
 * @param mropeSection multimodal sections, or null
 */
public record Exl2Settings(
    String modelId,
    String layerType,
    String altRopeMethod,
    double base,
    int headDim,
    double partialRotaryFactor,
    long maxSeqLen,
    long originalMaxSeqLen,
    double scalePosEmb,
    double scaleAlphaValue,
    double[] shortFactor,
    double[] longFactor,
    double yarnFactor,
    long yarnOriginalMax,
    double l3Factor,
    double l3LowFreqFactor,
    double l3HighFreqFactor,
    long l3OriginalMax,
    int posIdIndex,
    boolean ropeFreqHalf,
    int[] mropeSection) {}
