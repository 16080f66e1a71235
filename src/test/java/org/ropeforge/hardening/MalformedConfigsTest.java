package org.ropeforge.hardening;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;

/**
 * The generated corpus of malformed configs, through parsing and resolution in every semantics and
 * precision: each must be refused with exactly one {@link RopeConfigException} that names the model, the
 * expected field and the rule; nothing else may escape (no NullPointerException, no StackOverflowError, no
 * OutOfMemoryError from a forged length).
 */
class MalformedConfigsTest {
  @Test
  void everyMalformedConfigIsRefusedByName() {
    List<MalformedCorpus.Case> corpus = MalformedCorpus.generate();
    assertTrue(corpus.size() >= 200, "corpus has only " + corpus.size() + " cases");
    Set<String> names = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (MalformedCorpus.Case c : corpus) {
      assertTrue(names.add(c.name()), "duplicate case name " + c.name());
      String id = "bad/" + c.name();
      for (Semantics semantics : List.of(Semantics.TRANSFORMERS, Semantics.EXLLAMAV2)) {
        for (Precision precision : Precision.values()) {
          RopeResolver.Options options = new RopeResolver.Options(semantics, precision, 1.0, 0);
          try {
            ModelConfig config = RopeResolver.parse(id, c.bytes());
            for (long length : List.of(4096L, 200_000L)) {
              RopeResolver.resolve(config, length, options);
            }
            if (semantics == Semantics.TRANSFORMERS) {
              problems.add(c.name() + " [" + semantics.cliName() + "/" + precision.cliName() + "]: accepted");
            }
          } catch (RopeConfigException e) {
            boolean namesModel = e.getMessage().startsWith("model '" + id + "': ");
            boolean namesField = e.field() != null && e.field().startsWith(c.expectedField());
            if (!namesModel || semantics == Semantics.TRANSFORMERS && !namesField) {
              problems.add(c.name() + " [" + semantics.cliName() + "]: field '" + e.field() + "', expected '"
                  + c.expectedField() + "': " + e.getMessage());
            }
          } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            problems.add(c.name() + " [" + semantics.cliName() + "/" + precision.cliName() + "]: escaped as " + e);
          }
        }
      }
    }
    System.out.println("malformed corpus: " + corpus.size() + " generated configs, each refused by name");
    assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
  }
}
