package org.ropeforge.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the maths engine-agnostic: the core is JDK-only, and nothing below the Spark layer knows Spark. */
class LayeringTest {
  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("org.ropeforge");

  @Test
  void coreUsesOnlyTheJdk() {
    noClasses().that().resideInAPackage("org.ropeforge.core..")
        .should().dependOnClassesThat().resideOutsideOfPackages("java..", "jdk.incubator.vector..",
            "org.ropeforge.core..")
        .because("the maths core must run anywhere a JDK runs: executors, CLI, GPU harness")
        .check(MAIN);
  }

  @Test
  void configAndFormatsStayFreeOfSparkAndHadoop() {
    noClasses().that().resideInAnyPackage("org.ropeforge.core..", "org.ropeforge.config..",
            "org.ropeforge.format..", "org.ropeforge.cli..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..",
            "scala..")
        .because("parameters, tables and formats are layers the Spark job calls, not the other way round")
        .check(MAIN);
  }
}
