package org.ropeforge.spark;

import java.io.Serializable;

/**
 * One model of the catalog as the driver lists it: an id and where its config is; nothing is read yet.
 *
 * @param modelId the id, e.g. {@code meta-llama/Llama-3.1-8B}; checked later, may be unsafe here
 * @param configUri fully qualified URI of the config.json, or null when the entry is broken
 * @param contextLengths the entry's own context lengths, or null
 * @param problem why the entry is unusable (e.g. a malformed manifest line), or null
 */
record CatalogEntry(String modelId, String configUri, long[] contextLengths, String problem)
    implements Serializable {

  static CatalogEntry broken(String modelId, String problem) {
    return new CatalogEntry(modelId, null, null, problem);
  }
}
