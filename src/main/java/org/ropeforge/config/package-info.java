/**
 * From a config.json to RoPE parameters, under one of two semantics. Everything here is Jackson and the core:
 * no Spark, so the CLI, the job's executors and the GPU harness all resolve configs the same way.
 *
 * <ul>
 *   <li>{@link org.ropeforge.config.RopeResolver}: the entry point other packages call (parse, then resolve
 *       per context length with {@link org.ropeforge.config.RopeResolver.Options}).
 *   <li>{@link org.ropeforge.config.ModelConfig}: one parsed, immutable config; bounds the parse and hands
 *       each resolution to the semantics the options name.
 *   <li>{@link org.ropeforge.config.CatalogEntry}: one line of a catalog manifest.
 *   <li>{@code ConfigTree}: the JSON tree with the language model located (top level, or the nested
 *       text_config of a multimodal config) and the model family; what both semantics read from.
 *   <li>{@code TransformersNormalizer}: transformers 5.x's standardisation of RoPE parameters (v4 rope_scaling
 *       and v5 rope_parameters, flat or per layer type, aliases, family defaults), recording each rule that
 *       fires.
 *   <li>{@code FamilyRule}s, registered by model_type in {@code FamilyRules}: what one family's transformers code
 *       does differently from the generic normalisation (where its language model sits, which field is its head
 *       dimension, how its config class expands a flat dictionary into layer types, what is refused), one class
 *       per family, each declaring the fields it reads.
 *   <li>{@code TransformersSemantics}: a normalised config, independent of the context length; resolves the
 *       layers at any length through the core's variants.
 *   <li>{@code ExllamaV2Mapping}: ExLlamaV2's reading of the same config into the core's
 *       {@link org.ropeforge.core.exl2.Exl2Settings}, with its own defaults and family quirks (Gemma 3
 *       positions, Qwen2-VL float16 frequencies).
 *   <li>{@code RopeDictionaryReader}: reads one RoPE dictionary into typed parameters; shared by both
 *       semantics so that they type and refuse values alike.
 *   <li>{@code FamilyDefaults}: what transformers' config classes assume when a field is absent, per family.
 *   <li>{@code JsonFields}: typed reads whose errors name the model, the field path, the value and the rule.
 * </ul>
 *
 * <p>Every refusal is a {@link org.ropeforge.core.RopeConfigException}.
 */
package org.ropeforge.config;
