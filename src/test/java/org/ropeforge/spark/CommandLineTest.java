package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.spark.plan.OutputFormat;

class CommandLineTest {
  @Test
  void noArgumentsGiveTheDocumentedDefaults() {
    JobOptions options = CommandLine.parse().jobOptions(Map.of());

    assertEquals(JobOptions.DEFAULTS, options);
    assertEquals("conf/sample-catalog", options.catalog());
    assertEquals("out", options.out());
    assertEquals(Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), options.formats());
    assertEquals(0.0, options.maxErrorFraction());
    assertEquals(2_000, options.driverPlanMaxModels());
  }

  @Test
  void everyOptionIsParsed() {
    CommandLine line = CommandLine.parse("--catalog", "s3a://b/cat", "--out=hdfs://nn/out", "--context-lengths",
        "4096, 32768", "--precision", "torch", "--semantics", "EXLLAMAV2", "--layout", "vllm", "--dtype", "bf16",
        "--formats", "safetensors", "--parquet-tables", "off", "--overwrite", "--max-error-fraction", "0.25",
        "--conf", "spark.hadoop.fs.s3a.endpoint=http://h:1=2", "--master", "local[2]");

    JobOptions o = line.jobOptions(Map.of());

    assertEquals("s3a://b/cat", o.catalog());
    assertEquals("hdfs://nn/out", o.out());
    assertArrayEquals(new long[] {4096, 32768}, o.contextLengths());
    assertEquals(Precision.TORCH, o.precision());
    assertEquals(Semantics.EXLLAMAV2, o.semantics());
    assertEquals(List.of(Layout.VLLM), o.layouts());
    assertEquals(List.of(Dtype.BF16), o.dtypes());
    assertEquals(Set.of(OutputFormat.SAFETENSORS), o.formats());
    assertFalse(o.parquetTables());
    assertTrue(o.overwrite());
    assertEquals(0.25, o.maxErrorFraction());
    assertEquals(Map.of("spark.hadoop.fs.s3a.endpoint", "http://h:1=2", "spark.master", "local[2]"),
        line.sparkConf());
  }

  @Test
  void commandLineWinsOverSparkConfWhichWinsOverDefaults() {
    CommandLine line = CommandLine.parse("--dtype", "f16");

    JobOptions o = line.jobOptions(Map.of("spark.ropeforge.dtype", "f64", "spark.ropeforge.layout", "gptj",
        "spark.executor.cores", "2"));

    assertEquals(List.of(Dtype.F16), o.dtypes());
    assertEquals(List.of(Layout.GPTJ), o.layouts());
  }

  @Test
  void layoutsAndDtypesTakeListsInTheOrderGiven() {
    JobOptions o = CommandLine.parse("--layouts", "vllm, neox", "--dtypes", "bf16,f32").jobOptions(Map.of());

    assertEquals(List.of(Layout.VLLM, Layout.NEOX), o.layouts());
    assertEquals(List.of(Dtype.BF16, Dtype.F32), o.dtypes());
    assertEquals("precision=exact;semantics=transformers;layout=vllm,neox;dtype=bf16,f32;formats=parquet,safetensors;"
        + "parquet-tables=true", o.settings().fingerprintText());
    assertEquals(4, o.settings().encodings().size());
    assertTrue(o.settings().severalEncodings());
  }

  @Test
  void aListOnTheCommandLineWinsOverEitherFormInTheSparkConf() {
    JobOptions o = CommandLine.parse("--dtypes", "f16,f64").jobOptions(Map.of("spark.ropeforge.dtype", "f32",
        "spark.ropeforge.layouts", "gptj,pairs"));

    assertEquals(List.of(Dtype.F16, Dtype.F64), o.dtypes());
    assertEquals(List.of(Layout.GPTJ, Layout.PAIRS), o.layouts());
  }

  @Test
  void badListsAreRefusedByName() {
    assertEquals("Option 'layouts' is 'half,vllm,half', which names 'half' twice",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--layouts", "half,vllm,half").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'dtypes' is 'f32,f8', whose 'f8' is not one of f32, f16, bf16, f64",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--dtypes", "f32,f8").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'dtypes' is 'f32,', which has an empty item",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--dtypes", "f32,").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'layouts' is 'half,rows', whose 'rows' is not one of half, neox, gptj, vllm, pairs",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--layouts", "half,rows").jobOptions(Map.of())).getMessage());
    assertEquals("Options 'layout' (half) and 'layouts' (vllm,neox) are both set; use 'layouts' alone",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--layout", "half", "--layouts", "vllm,neox").jobOptions(Map.of()))
            .getMessage());
    assertEquals("Options 'dtype' (f32) and 'dtypes' (bf16) are both set; use 'dtypes' alone",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse().jobOptions(Map.of("spark.ropeforge.dtype", "f32", "spark.ropeforge.dtypes",
                "bf16"))).getMessage());
  }

  @Test
  void theDriverPlanLimitComesFromTheCommandLineOrTheSparkConf() {
    assertEquals(0, CommandLine.parse("--driver-plan-max-models", "0").jobOptions(Map.of()).driverPlanMaxModels());
    assertEquals(50_000, CommandLine.parse().jobOptions(Map.of("spark.ropeforge.driver-plan-max-models", " 50000"))
        .driverPlanMaxModels());
    assertEquals(7, CommandLine.parse("--driver-plan-max-models=7")
        .jobOptions(Map.of("spark.ropeforge.driver-plan-max-models", "50000")).driverPlanMaxModels());
    assertEquals("Option 'driver-plan-max-models' is -1 but must be 0 or more",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--driver-plan-max-models", "-1").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'driver-plan-max-models' is 'many', which is not a whole number of models",
        assertThrows(IllegalArgumentException.class, () -> CommandLine.parse()
            .jobOptions(Map.of("spark.ropeforge.driver-plan-max-models", "many"))).getMessage());
  }

  @Test
  void mistakesAreNamedWithTheirValue() {
    assertEquals("Unknown option '--catalgo'",
        assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("--catalgo", "x")).getMessage());
    assertEquals("Option '--out' needs a value",
        assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("--out")).getMessage());
    assertEquals("Option 'dtype' is 'f8' but must be one of f32, f16, bf16, f64",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--dtype", "f8").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'context-lengths' has 'x', which is not an integer",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--context-lengths", "1,x").jobOptions(Map.of())).getMessage());
    assertEquals("Context length 0 must be >= 1 and <= 1073741824",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--context-lengths", "0").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'max-error-fraction' is NaN but must be in [0, 1]",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--max-error-fraction", "NaN").jobOptions(Map.of())).getMessage());
    assertEquals("Option 'parquet-tables' is 'maybe' but must be on or off",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--parquet-tables", "maybe").jobOptions(Map.of())).getMessage());
    assertEquals("Unknown job option 'spark.ropeforge.colour'",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse().jobOptions(Map.of("spark.ropeforge.colour", "red"))).getMessage());
    assertEquals("Option '--conf' needs key=value, got 'novalue'",
        assertThrows(IllegalArgumentException.class, () -> CommandLine.parse("--conf", "novalue")).getMessage());
  }

  @Test
  void leaseOptionsHaveDefaultsAndNameTheirMistakes() {
    assertEquals(LeaseOptions.DEFAULT, CommandLine.parse().leaseOptions(Map.of()));
    LeaseOptions set = CommandLine.parse("--lease-timeout", "30", "--force-lease").leaseOptions(Map.of());
    assertEquals(java.time.Duration.ofSeconds(30), set.timeout());
    assertTrue(set.force());
    assertEquals(java.time.Duration.ofSeconds(5), set.heartbeatPeriod());
    assertEquals("Option 'lease-timeout' is 0 but must be a whole number of seconds >= 1",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--lease-timeout", "0").leaseOptions(Map.of())).getMessage());
    assertEquals("Option 'lease-timeout' is 'soon', which is not a whole number of seconds",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--lease-timeout", "soon").leaseOptions(Map.of())).getMessage());
    assertEquals("Option 'force-lease' is 'maybe' but must be on or off",
        assertThrows(IllegalArgumentException.class,
            () -> CommandLine.parse("--force-lease=maybe").leaseOptions(Map.of())).getMessage());
  }
}
