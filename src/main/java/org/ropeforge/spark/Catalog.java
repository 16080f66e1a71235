package org.ropeforge.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.ropeforge.io.HadoopConf;

/**
 * Lists a catalog on the driver without reading any config: either a folder tree, where every
 * {@code config.json} below the root is a model whose id is its parent folder relative to the root, or a
 * JSON-lines manifest of {@code {"model_id", "config", "context_lengths"}} objects whose relative config
 * paths are relative to the manifest's folder.
 */
final class Catalog {
  static final String CONFIG_FILE = "config.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Catalog() {}

  /** The entries in model-id order, each id once (later duplicates are broken entries). */
  static List<CatalogEntry> list(String catalog, HadoopConf conf) throws IOException {
    Path root = new Path(catalog);
    FileSystem fs = conf.fileSystem(root);
    FileStatus status;
    try {
      status = fs.getFileStatus(root);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("Catalog " + catalog + " does not exist", e);
    }
    Path qualified = status.getPath();
    List<CatalogEntry> entries =
        status.isDirectory() ? listTree(fs, qualified) : readManifest(fs, qualified);
    return dropDuplicates(entries);
  }

  private static List<CatalogEntry> listTree(FileSystem fs, Path root) throws IOException {
    String rootText = withSlash(root.toUri().getPath());
    List<CatalogEntry> entries = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
    while (files.hasNext()) {
      LocatedFileStatus file = files.next();
      Path path = file.getPath();
      if (!file.isFile() || !path.getName().equals(CONFIG_FILE)) {
        continue;
      }
      String parent = withSlash(path.getParent().toUri().getPath());
      // A config.json directly in the root gets the empty id, which the normaliser reports as an error row.
      String modelId = !parent.startsWith(rootText) ? parent
          : parent.length() == rootText.length() ? "" : parent.substring(rootText.length(), parent.length() - 1);
      entries.add(new CatalogEntry(modelId, path.toString(), null, null));
    }
    return entries;
  }

  private static List<CatalogEntry> readManifest(FileSystem fs, Path manifest) throws IOException {
    Path folder = manifest.getParent();
    List<CatalogEntry> entries = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(fs.open(manifest), StandardCharsets.UTF_8))) {
      StringBuilder line = new StringBuilder();
      int number = 0;
      boolean more = true;
      while (more) {
        line.setLength(0);
        boolean tooLong = false;
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
          if (line.length() < MAX_MANIFEST_LINE_CHARS) {
            line.append((char) c);
          } else {
            tooLong = true;
          }
        }
        more = c != -1;
        if (c == -1 && line.length() == 0 && !tooLong) {
          break;
        }
        number++;
        String where = manifest.getName() + " line " + number;
        if (tooLong) {
          entries.add(CatalogEntry.broken(where, "Catalog " + where + " is longer than "
              + MAX_MANIFEST_LINE_CHARS + " characters"));
        } else if (!line.toString().isBlank()) {
          entries.add(manifestEntry(line.toString().strip(), number, manifest, folder));
        }
      }
    }
    return entries;
  }

  /**
   * Longest catalog manifest line read; longer ones become error rows without being held in memory, so a
   * hostile manifest cannot exhaust the driver.
   */
  static final int MAX_MANIFEST_LINE_CHARS = 64 * 1024;

  static CatalogEntry manifestEntry(String line, int number, Path manifest, Path folder) {
    String where = manifest.getName() + " line " + number;
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return CatalogEntry.broken(where, "Catalog " + where + " is not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      return CatalogEntry.broken(where, "Catalog " + where + " is not a JSON object");
    }
    JsonNode id = node.get("model_id");
    if (id == null || !id.isTextual()) {
      return CatalogEntry.broken(where, "Catalog " + where + " has no text 'model_id'");
    }
    String modelId = id.asText();
    JsonNode config = node.get("config");
    if (config == null || !config.isTextual() || config.asText().isEmpty()) {
      return CatalogEntry.broken(modelId, "Catalog " + where + " has no text 'config'");
    }
    long[] lengths = null;
    JsonNode lengthsNode = node.get("context_lengths");
    if (lengthsNode != null && !lengthsNode.isNull()) {
      if (!lengthsNode.isArray() || lengthsNode.isEmpty()) {
        return CatalogEntry.broken(modelId,
            "Catalog " + where + ": 'context_lengths' must be a non-empty array of integers");
      }
      lengths = new long[lengthsNode.size()];
      for (int i = 0; i < lengths.length; i++) {
        JsonNode n = lengthsNode.get(i);
        if (!n.canConvertToLong() || !n.isIntegralNumber()) {
          return CatalogEntry.broken(modelId,
              "Catalog " + where + ": 'context_lengths' has " + n + ", which is not an integer");
        }
        lengths[i] = n.asLong();
        try {
          JobOptions.checkContextLength(lengths[i]);
        } catch (IllegalArgumentException e) {
          return CatalogEntry.broken(modelId, "Catalog " + where + ": " + e.getMessage());
        }
      }
    }
    String configText = config.asText();
    Path configPath = new Path(configText);
    URI configUri = configPath.toUri();
    if (configUri.getScheme() == null) {
      URI folderUri = folder.toUri();
      // A bare absolute path stays on the manifest's filesystem; a relative one is below the manifest's folder.
      configPath = configPath.isAbsolute()
          ? new Path(folderUri.getScheme(), folderUri.getAuthority(), configUri.getPath())
          : new Path(folder, configText);
    }
    return new CatalogEntry(modelId, configPath.toString(), lengths, null);
  }

  private static List<CatalogEntry> dropDuplicates(List<CatalogEntry> entries) {
    List<CatalogEntry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparing(CatalogEntry::modelId));
    Set<String> seen = new HashSet<>();
    List<CatalogEntry> result = new ArrayList<>(sorted.size());
    for (CatalogEntry entry : sorted) {
      if (entry.problem() == null && !seen.add(entry.modelId())) {
        // The ignored config stays on the entry, so that its error row names it as the value.
        result.add(new CatalogEntry(entry.modelId(), entry.configUri(), null,
            "Catalog lists model '" + entry.modelId() + "' more than once; " + entry.configUri() + " ignored"));
      } else {
        result.add(entry);
      }
    }
    return result;
  }

  private static String withSlash(String path) {
    return path.endsWith("/") ? path : path + "/";
  }
}
