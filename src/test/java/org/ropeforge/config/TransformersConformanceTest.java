package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ropeforge.config.ConformanceSuite.Outcome;
import org.ropeforge.config.ConformanceSuite.Tally;
import org.ropeforge.config.ConformanceSuite.Verdict;

/**
 * Every model type of transformers 5.18 and 5.17 with a text rotary module, in every form of its config, against
 * its own rotary module (see {@link ConformanceSuite}): matched, or refused by name; never silently different.
 * Writes the verdicts to target/conformance/verdicts-VERSION.jsonl, from which conformance_table.py builds the
 * README's tables.
 */
class TransformersConformanceTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Per version folder: the numeric differences known for that version's references. */
  private static final String KNOWN_DIFFERENCES = "known-differences.txt";
  /**
   * The only difference that may be listed: exact precision against torch's float32 value where no mpmath value
   * was kept. Torch precision is within 1 float32 ulp everywhere, and nothing of it may be listed.
   */
  private static final Pattern NUMERIC_ONLY = Pattern.compile(
      "exact inv_freq\\[\\d+\\] \\S+ is \\S+ float32 ulps from torch's \\S+");

  @Test
  void theKnownModelTypesAreThoseOfTheReferencesAndTheSemanticsTheNewestVersions() throws IOException {
    Set<String> referenced = new TreeSet<>();
    for (String version : ConformanceSuite.VERSIONS) {
      for (String form : ConformanceSuite.FORMS) {
        ConformanceSuite.records(version, form).forEach(r -> referenced.add(r.get("model_type").textValue()));
      }
    }
    assertEquals(referenced, ModelTypeConformance.knownModelTypes(),
        "conformance-model-types.txt is not the references' model types: run conformance_table.py");
    String newest = ConformanceSuite.VERSIONS.get(0);
    assertEquals(ModelTypeConformance.SEMANTICS_VERSION, newest.substring(0, newest.lastIndexOf('.')),
        "semantics version reported against the newest references' version");
  }

  @ParameterizedTest
  @ValueSource(strings = {"5.18.0", "5.17.0"})
  void everyModelTypeMatchesTransformersOrIsRefusedByName(String version) throws IOException {
    assertTrue(ConformanceSuite.VERSIONS.contains(version), version);
    Tally tally = ConformanceSuite.newTally();
    List<Verdict> verdicts = new ArrayList<>();
    for (String form : ConformanceSuite.FORMS) {
      List<JsonNode> records = ConformanceSuite.records(version, form);
      assertTrue(records.size() >= 200, form + ": only " + records.size() + " model types in the references");
      for (JsonNode record : records) {
        assertEquals(version, record.get("transformers").textValue(), "reference version");
        verdicts.add(ConformanceSuite.check(record, tally));
      }
    }
    writeVerdicts(version, verdicts);

    List<String> different = new ArrayList<>();
    StringBuilder summary = new StringBuilder("transformers " + version + " conformance:\n");
    for (String form : ConformanceSuite.FORMS) {
      long matched = count(verdicts, form, Outcome.MATCHED);
      long refused = count(verdicts, form, Outcome.REFUSED);
      long silent = count(verdicts, form, Outcome.DIFFERENT);
      summary.append(String.format(Locale.ROOT, "  %-13s matched %3d, refused %3d, different %3d%n", form, matched,
          refused, silent));
    }
    for (Map.Entry<String, long[]> e : tally.equalOfTotal.entrySet()) {
      summary.append(String.format(Locale.ROOT, "  torch precision, %s bit-equal: %d of %d (%.4f%%)%n", e.getKey(),
          e.getValue()[0], e.getValue()[1], 100.0 * e.getValue()[0] / e.getValue()[1]));
    }
    for (Map.Entry<String, long[]> e : tally.endToEnd.equalOfTotal.entrySet()) {
      summary.append(String.format(Locale.ROOT, "  torch precision end to end (our inv_freq), %s bit-equal: %d of %d "
          + "(%.4f%%)%n", e.getKey(), e.getValue()[0], e.getValue()[1], 100.0 * e.getValue()[0] / e.getValue()[1]));
    }
    summary.append(String.format(Locale.ROOT, "  end to end, worst cos/sin %.3g float32 ulps%n",
        tally.endToEnd.worstCosSinUlps));
    summary.append(String.format(Locale.ROOT, "  worst: torch %.3g float32 ulps (cos/sin %.3g), exact %.3g relative "
            + "to mpmath, exact without a known formula %.3g float32 ulps of torch%n", tally.worstTorchUlps,
        tally.worstCosSinUlps, tally.worstExactRelative, tally.worstExactUlpsWithoutFormula));
    System.out.print(summary);
    Set<String> known = knownDifferences(version);
    Set<String> stillDifferent = new TreeSet<>();
    for (Verdict v : verdicts) {
      String key = v.form() + " " + v.modelType();
      boolean numeric = v.outcome() == Outcome.DIFFERENT && NUMERIC_ONLY.matcher(v.detail()).matches();
      if (v.outcome() == Outcome.DIFFERENT) {
        if (numeric && known.contains(key)) {
          stillDifferent.add(key);
        } else {
          different.add(key + ": " + v.detail());
        }
      }
      if (v.outcome() == Outcome.REFUSED) {
        assertTrue(v.detail().contains(v.modelType()), "a refusal names the model: " + v.detail());
      }
    }
    assertTrue(different.isEmpty(), different.size() + " silently different:\n" + String.join("\n", different));
    Set<String> fixed = new TreeSet<>(known);
    fixed.removeAll(stillDifferent);
    assertTrue(fixed.isEmpty(),
        "now matched or refused, remove from " + version + "/" + KNOWN_DIFFERENCES + ": " + fixed);
  }

  /**
   * Numeric differences of a few float32 ulps that are known and listed, one "form model_type" a line, in
   * {@link #KNOWN_DIFFERENCES}: a difference of rules (frequency count, layer types, formula) is never accepted
   * there, and an entry that stops differing fails the test until it is removed, so the list only shrinks.
   */
  private static Set<String> knownDifferences(String version) throws IOException {
    Set<String> out = new TreeSet<>();
    String path = "/conformance/transformers-" + version + "/" + KNOWN_DIFFERENCES;
    try (InputStream in = TransformersConformanceTest.class.getResourceAsStream(path)) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String entry = line.replaceAll("#.*", "").trim();
        if (!entry.isEmpty()) {
          out.add(entry);
        }
      }
    }
    return out;
  }

  private static long count(List<Verdict> verdicts, String form, Outcome outcome) {
    return verdicts.stream().filter(v -> v.form().equals(form) && v.outcome() == outcome).count();
  }

  private static void writeVerdicts(String version, List<Verdict> verdicts) throws IOException {
    Path dir = Path.of("target", "conformance");
    Files.createDirectories(dir);
    StringBuilder out = new StringBuilder();
    for (Verdict v : verdicts) {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("form", v.form());
      o.put("model_type", v.modelType());
      o.put("outcome", v.outcome().name().toLowerCase(Locale.ROOT));
      o.put("detail", v.detail());
      out.append(MAPPER.writeValueAsString(o)).append('\n');
    }
    Files.writeString(dir.resolve("verdicts-" + version + ".jsonl"), out.toString(), StandardCharsets.UTF_8);
  }
}
