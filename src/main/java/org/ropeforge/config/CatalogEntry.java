package org.ropeforge.config;

import java.io.Serializable;
import java.util.List;

/**
 * One model of a catalog: its id, where its config is, and the context lengths its entry names. Nothing is read
 * yet. The same value serves every reader of a catalog ({@code params}, the Spark job, the GPU harness); see
 * {@link CatalogManifest} for the one grammar of a manifest line.
 *
 * @param modelId the id, e.g. {@code meta-llama/Llama-3.1-8B}; for a line without a readable id, where the line
 *     is ({@code catalog.jsonl line 7}); not yet checked as a path
 * @param config the config's location: as written in a manifest line until a reader resolves it against the
 *     manifest's folder, then a fully qualified URI; null when the entry is broken before naming one
 * @param contextLengths the entry's own lengths, each in [1, {@link CatalogManifest#MAX_CONTEXT_LENGTH}]; empty
 *     when it names none
 * @param defect why the entry cannot be used, or null
 */
public record CatalogEntry(String modelId, String config, List<Long> contextLengths, Defect defect)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public CatalogEntry {
    contextLengths = List.copyOf(contextLengths);
  }

  /** A usable entry. */
  public static CatalogEntry of(String modelId, String config, List<Long> contextLengths) {
    return new CatalogEntry(modelId, config, contextLengths, null);
  }

  /** An entry that cannot be used, with the field it fails on, that field's value (or null) and the rule. */
  public static CatalogEntry broken(String modelId, String config, String field, String value, String message) {
    return new CatalogEntry(modelId, config, List.of(), new Defect(field, value, message));
  }

  public boolean usable() {
    return defect == null;
  }

  /** The same entry with its config location resolved by the reader. */
  public CatalogEntry withConfig(String resolved) {
    return new CatalogEntry(modelId, resolved, contextLengths, defect);
  }

  /**
   * What is wrong with an entry, as an error row reports it.
   *
   * @param field the manifest field at fault ({@code model_id}, {@code context_lengths[2]}...), or
   *     {@code catalog} for the line or the catalog as a whole
   * @param value the offending value as written, or null
   * @param message the rule, naming the manifest and line
   */
  public record Defect(String field, String value, String message) implements Serializable {
    private static final long serialVersionUID = 1L;
  }
}
