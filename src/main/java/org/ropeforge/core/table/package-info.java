/**
 * cos/sin tables: {@link org.ropeforge.core.table.RopeTable} computes rows in exact mode (double maths, one
 * rounding, error independent of the position) or torch mode (transformers' float32 recipe), in every
 * {@link org.ropeforge.core.table.Layout} and {@link org.ropeforge.core.table.Dtype}; any row range can be
 * computed on its own with the same bytes.
 */
package org.ropeforge.core.table;
