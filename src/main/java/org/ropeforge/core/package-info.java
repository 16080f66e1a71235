/**
 * The maths core, JDK only (an ArchUnit test keeps it so): resolved parameters
 * ({@link org.ropeforge.core.LayerRope}, whose {@code tableKey()} is the identity of a table, and
 * {@link org.ropeforge.core.ResolvedRope}), the variants' inputs and frequency maths, and the semantics and
 * precision a resolution follows. Refusals are {@link org.ropeforge.core.RopeConfigException}s naming the
 * model, the field, the value and the rule.
 */
package org.ropeforge.core;
