/**
 * vLLM's semantics: the parameters and tables vLLM's {@code get_rope} builds into its {@code cos_sin_cache}, for
 * every rope type it dispatches ({@link org.ropeforge.core.vllm.VllmRope}, one class per type that transformers does
 * not have) and for the classes vLLM's model code builds itself (Grok-1, Bailing's M-RoPE). What has no static
 * table indexed by position is refused with its reason.
 */
package org.ropeforge.core.vllm;
