/** vLLM's semantics: the parameters and tables vLLM's {@code get_rope} builds into its {@code cos_sin_cache}. */
package org.ropeforge.core.vllm;
