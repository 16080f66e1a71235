/**
 * One class per RoPE variant behind {@link org.ropeforge.core.RopeVariant}, registered under its transformers
 * {@code rope_type} name by {@link org.ropeforge.core.variant.RopeVariants}; each declares the keys it requires
 * and accepts, so that a missing key is an error and an unknown one a warning.
 */
package org.ropeforge.core.variant;
