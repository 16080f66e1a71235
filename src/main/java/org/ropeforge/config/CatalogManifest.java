package org.ropeforge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.ropeforge.io.UriCredentials;

/**
 * The catalog manifest: JSON lines of
 * {@code {"model_id": "...", "config": "<path or URI>", "context_lengths": [...]}}, {@code context_lengths}
 * optional. This class is the one grammar of such a line and the one reader of such a file; {@code params}, the
 * Spark job and the GPU harness all read catalogs through it, and each resolves the {@code config} location
 * against the manifest's folder in its own filesystem.
 *
 * <p>The rules: a line is a JSON object; {@code model_id} a non-empty string; {@code config} a non-empty string;
 * {@code context_lengths}, when present and not null, a non-empty array of whole numbers in
 * [1, {@link #MAX_CONTEXT_LENGTH}]; a config URI with a password in it is refused (it would be printed wherever
 * the location is), and the line's error shows it redacted. Blank lines are skipped. A line longer than {@link #MAX_LINE_CHARS} is
 * refused without being held in memory, so a hostile manifest cannot exhaust its reader. A broken line becomes
 * an entry with a {@link CatalogEntry.Defect}, never an exception: the other lines still count.
 */
public final class CatalogManifest {
  /** Longest line read; far beyond any real entry. */
  public static final int MAX_LINE_CHARS = 64 * 1024;

  /** The largest context length accepted: a table of more rows than an int can count is not a table. */
  public static final long MAX_CONTEXT_LENGTH = 1L << 30;

  private static final ObjectMapper JSON = new ObjectMapper();

  private CatalogManifest() {}

  /**
   * Reads every line of a manifest called {@code name} (its file name, used in messages) from {@code in}, in
   * order, and hands each entry, usable or broken, to {@code sink}. Config locations are left as written.
   */
  public static void read(InputStream in, String name, Consumer<CatalogEntry> sink) throws IOException {
    read(in, name, 0, (line, entry) -> sink.accept(entry));
  }

  /** Where an entry was read: the number of its line in the manifest (from 1), and the entry. */
  @FunctionalInterface
  public interface LineSink {
    void accept(long line, CatalogEntry entry);
  }

  /**
   * As {@link #read(InputStream, String, Consumer)}, for a part of a manifest that starts a line: {@code in} holds
   * its lines from line {@code linesBefore} + 1 on, which messages number as in the whole file.
   */
  public static void read(InputStream in, String name, long linesBefore, LineSink sink) throws IOException {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      StringBuilder line = new StringBuilder();
      long number = linesBefore;
      while (true) {
        line.setLength(0);
        boolean tooLong = false;
        int c;
        while ((c = reader.read()) != -1 && c != '\n') {
          if (line.length() < MAX_LINE_CHARS) {
            line.append((char) c);
          } else {
            tooLong = true;
          }
        }
        if (c == -1 && line.length() == 0 && !tooLong) {
          return;
        }
        number++;
        String where = name + " line " + number;
        if (tooLong) {
          sink.accept(number, CatalogEntry.broken(where, null, "catalog", null,
              "Catalog " + where + " is longer than " + MAX_LINE_CHARS + " characters"));
        } else if (!line.toString().isBlank()) {
          sink.accept(number, parseLine(line.toString().strip(), where));
        }
        if (c == -1) {
          return;
        }
      }
    }
  }

  /** All entries of a manifest, in order; for readers that need them at once. */
  public static List<CatalogEntry> readAll(InputStream in, String name) throws IOException {
    List<CatalogEntry> entries = new ArrayList<>();
    read(in, name, entries::add);
    return entries;
  }

  /** One line, found at {@code where} (e.g. {@code catalog.jsonl line 3}). */
  public static CatalogEntry parseLine(String line, String where) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return CatalogEntry.broken(where, null, "catalog", null,
          "Catalog " + where + " is not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      return CatalogEntry.broken(where, null, "catalog", value(node),
          "Catalog " + where + " is not a JSON object");
    }
    JsonNode id = node.get("model_id");
    if (id != null && id.isTextual() && id.textValue().isEmpty()) {
      // The row keeps the id as written, empty, so that it reads as the line's own.
      return CatalogEntry.broken("", null, "model_id", "", "Catalog " + where + ": model_id is empty");
    }
    if (id == null || !id.isTextual()) {
      return CatalogEntry.broken(where, null, "model_id", value(id),
          "Catalog " + where + ": model_id = " + shown(id) + " must be a non-empty string");
    }
    String modelId = id.textValue();
    JsonNode config = node.get("config");
    if (config == null || !config.isTextual() || config.textValue().isEmpty()) {
      return CatalogEntry.broken(modelId, null, "config", value(config), "Catalog " + where + ": config = "
          + shown(config) + " must be a non-empty string (a path or URI of the config.json)");
    }
    if (UriCredentials.hasPassword(config.textValue())) {
      String shown = UriCredentials.redact(config.textValue());
      return CatalogEntry.broken(modelId, null, "config", shown, "Catalog " + where + ": config = " + shown
          + " has a password in its URI, which would be printed wherever the URI is; give the credentials through"
          + " the filesystem's configuration instead");
    }
    List<Long> lengths = new ArrayList<>();
    JsonNode list = node.get("context_lengths");
    if (list != null && !list.isNull()) {
      if (!list.isArray() || list.isEmpty()) {
        return CatalogEntry.broken(modelId, config.textValue(), "context_lengths", value(list),
            "Catalog " + where + ": context_lengths = " + shown(list)
                + " must be a non-empty list of whole numbers");
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode n = list.get(i);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || contextLengthProblem(n.longValue()) != null) {
          return CatalogEntry.broken(modelId, config.textValue(), "context_lengths[" + i + "]", value(n),
              "Catalog " + where + ": context_lengths[" + i + "] = " + shown(n) + " must be a whole number >= 1"
                  + " and <= " + MAX_CONTEXT_LENGTH);
        }
        lengths.add(n.longValue());
      }
    }
    return CatalogEntry.of(modelId, config.textValue(), lengths);
  }

  /** Null when {@code length} is a context length a table can have, else the rule it breaks. */
  public static String contextLengthProblem(long length) {
    return length >= 1 && length <= MAX_CONTEXT_LENGTH ? null
        : "Context length " + length + " must be >= 1 and <= " + MAX_CONTEXT_LENGTH;
  }

  /** The value as an error row reports it: a string as it is, anything else as JSON; null when absent. */
  private static String value(JsonNode node) {
    return node == null ? null : node.isTextual() ? node.textValue() : JsonFields.abbreviate(node);
  }

  /** The value as a message shows it: JSON, abbreviated. */
  private static String shown(JsonNode node) {
    return node == null ? "absent" : JsonFields.abbreviate(node);
  }
}
