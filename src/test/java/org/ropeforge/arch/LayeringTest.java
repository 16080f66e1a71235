package org.ropeforge.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

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
  void gpuKernelNeedsOnlyTheCoreTheConfigReaderAndJcuda() {
    noClasses().that().resideInAPackage("org.ropeforge.gpu..")
        .should().dependOnClassesThat().resideOutsideOfPackages("java..", "jdk.incubator.vector..", "jcuda..",
            "org.ropeforge.core..", "org.ropeforge.config..", "org.ropeforge.gpu..")
        .because("the kernel runs on a GPU host from a thin classpath: our classes, Jackson and JCuda")
        .check(MAIN);
    noClasses().that().haveFullyQualifiedName("org.ropeforge.bench.GpuParityMain")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..", "scala..",
            "org.ropeforge.spark..")
        .because("GpuParityMain runs on a GPU host from a thin classpath: our classes, Jackson and JCuda")
        .check(MAIN);
    noClasses().that().resideOutsideOfPackages("org.ropeforge.gpu..")
        .should().dependOnClassesThat().resideInAPackage("jcuda..")
        .because("JCuda is loaded only through org.ropeforge.gpu, and only by tasks that hold a GPU")
        .check(MAIN);
  }

  @Test
  void configAndFormatsStayFreeOfSparkAndHadoop() {
    noClasses().that().resideInAnyPackage("org.ropeforge.core..", "org.ropeforge.config..",
            "org.ropeforge.format..", "org.ropeforge.cli..", "org.ropeforge.gpu..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..",
            "scala..")
        .because("parameters, tables and formats are layers the Spark job calls, not the other way round")
        .check(MAIN);
  }

  /**
   * The job reads like its pipeline: each stage a package that depends only on the stages before it, so that
   * catalog and plan never know how outputs are written, and verify reads outputs through the output package.
   */
  @Test
  void sparkStagesDependDownwardOnly() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("entry").definedBy("org.ropeforge.spark")
        .layer("catalog").definedBy("org.ropeforge.spark.catalog..")
        .layer("plan").definedBy("org.ropeforge.spark.plan..")
        .layer("output").definedBy("org.ropeforge.spark.output..")
        .layer("write").definedBy("org.ropeforge.spark.write..")
        .layer("verify").definedBy("org.ropeforge.spark.verify..")
        .layer("bench").definedBy("org.ropeforge.bench..")
        .whereLayer("bench").mayNotBeAccessedByAnyLayer()
        .whereLayer("entry").mayOnlyBeAccessedByLayers("bench")
        .whereLayer("verify").mayOnlyBeAccessedByLayers("entry")
        .whereLayer("write").mayOnlyBeAccessedByLayers("verify", "entry", "bench")
        .whereLayer("output").mayOnlyBeAccessedByLayers("write", "verify", "entry", "bench")
        .whereLayer("plan").mayOnlyBeAccessedByLayers("output", "write", "verify", "entry", "bench")
        .whereLayer("catalog").mayOnlyBeAccessedByLayers("plan", "output", "write", "verify", "entry", "bench")
        .because("catalog → plan → output → write → verify → entry point: each stage depends downward only")
        .check(MAIN);
    slices().matching("org.ropeforge.(*)..").should().beFreeOfCycles()
        .because("packages depend in one direction; a cycle makes two packages one")
        .check(MAIN);
  }

  @Test
  void verifyReadsTheManifestThroughTheOutputPackage() {
    noClasses().that().resideInAPackage("org.ropeforge.spark.verify..")
        .should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson..")
        .because("the manifest and the completion marker have one reader, in spark.output")
        .check(MAIN);
  }

  @Test
  void nothingInTheProductDependsOnTheBenchAndParityTools() {
    noClasses().that().resideOutsideOfPackage("org.ropeforge.bench..")
        .should().dependOnClassesThat().resideInAPackage("org.ropeforge.bench..")
        .check(MAIN);
  }
}
