/**
 * ExLlamaV2's {@code get_rope_params} semantics: its settings as read from a config, and the inverse
 * frequencies and scaling it computes from them.
 */
package org.ropeforge.core.exl2;
