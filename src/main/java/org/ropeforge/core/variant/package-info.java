/**
 * One class per RoPE variant behind {@link org.ropeforge.core.RopeVariant}, registered under its transformers
 * {@code rope_type} name by {@link org.ropeforge.core.variant.RopeVariants}; each declares the keys it requires
 * and accepts, so that a missing key is an error and an unknown one a warning. The types only vLLM has are
 * declared too ({@link org.ropeforge.core.variant.VllmOnlyRope}), so that they normalise for the vllm semantics;
 * the transformers semantics refuses them by name.
 */
package org.ropeforge.core.variant;
