package org.ropeforge.spark.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ropeforge.core.LayerRope;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.Encoding;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Target;
import scala.Tuple2;

/**
 * The two Parquet datasets. {@code parquet/params}: one row per (model_id, context_length, layout, dtype,
 * layer_type); layout and dtype are those of the table file the row points to (the run's own in a run of one).
 * {@code parquet/tables}: one row per (layer_type, position), partitioned by model_id and context_length,
 * with the unique half of the row as float32 cos and sin arrays.
 */
public final class ParquetOutputs {
  static final StructType PARAMS_SCHEMA = new StructType()
      .add("model_id", DataTypes.StringType, false)
      .add("context_length", DataTypes.LongType, false)
      .add("layer_type", DataTypes.StringType, true)
      .add("rope_type", DataTypes.StringType, false)
      .add("rotary_dim", DataTypes.IntegerType, false)
      .add("inv_freq", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("attention_factor", DataTypes.DoubleType, false)
      .add("softmax_scale", DataTypes.DoubleType, true)
      .add("semantics", DataTypes.StringType, false)
      .add("precision", DataTypes.StringType, false)
      .add("config_sha256", DataTypes.StringType, false)
      .add("table_sha256", DataTypes.StringType, false)
      .add("safetensors_path", DataTypes.StringType, true)
      .add("mrope_axis", DataTypes.createArrayType(DataTypes.ByteType, false), true)
      .add("model_type_conformance", DataTypes.StringType, true)
      .add("transformers_semantics", DataTypes.StringType, true)
      .add("layout", DataTypes.StringType, false)
      .add("dtype", DataTypes.StringType, false);

  /** The partition column of the tables dataset in the content-addressed store. */
  static final String TABLE_KEY = "table_key";

  /** The tables dataset of the content-addressed store: keyed by table (the half-layout float32 file's key). */
  static final StructType TABLES_BY_KEY_SCHEMA = new StructType()
      .add("layer_type", DataTypes.StringType, true)
      .add("position", DataTypes.IntegerType, false)
      .add("cos", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("sin", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add(TABLE_KEY, DataTypes.StringType, false);

  static final StructType TABLES_SCHEMA = new StructType()
      .add("layer_type", DataTypes.StringType, true)
      .add("position", DataTypes.IntegerType, false)
      .add("cos", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("sin", DataTypes.createArrayType(DataTypes.FloatType, false), false)
      .add("model_id", DataTypes.StringType, false)
      .add("context_length", DataTypes.LongType, false);

  /** Table rows per Parquet task; a 128K-row table of rotary dim 128 is about 64 MB of floats. */
  static final long TABLE_ROWS_PER_TASK = 1L << 20;

  private final SparkSession spark;
  private final String out;
  private final OutputSettings settings;

  public ParquetOutputs(SparkSession spark, String out, OutputSettings settings) {
    this.spark = spark;
    this.out = out;
    this.settings = settings;
  }

  /**
   * Params rows per Parquet file. A writing task streams its rows into files of at most this many rows, so that
   * neither a task nor the driver holds anything that grows with the catalog; readers see one dataset.
   */
  public static final long PARAMS_ROWS_PER_FILE = 50_000;

  /** Rewrites the params dataset for every ok or skipped output; returns its row count. */
  public long writeParams(JavaRDD<Outcome> outcomes) {
    String semantics = settings.semantics().cliName();
    String precision = settings.precision().cliName();
    boolean safetensors = settings.writesSafetensors();
    Encoding only = settings.severalEncodings() ? null : settings.onlyEncoding();
    JavaRDD<Outcome> kept = outcomes.filter(o -> o.status() != Outcome.Status.ERROR);
    // Counted from the outcomes, which the job keeps, rather than by keeping every row until it is written.
    long count = kept.map(o -> (long) o.target().layers().size()).fold(0L, Long::sum);
    // As many writing tasks as files of PARAMS_ROWS_PER_FILE rows, at least one per core: the write tasks'
    // outcomes are merged without a shuffle where they are many and small. Each task streams its rows into files
    // of at most PARAMS_ROWS_PER_FILE rows, so that one holding a large share (the content-addressed store puts
    // every model of a table in one) still writes bounded files.
    int tasks = (int) Math.max(spark.sparkContext().defaultParallelism(),
        Math.min(10_000, (count + PARAMS_ROWS_PER_FILE - 1) / PARAMS_ROWS_PER_FILE));
    JavaRDD<Row> rows = kept.coalesce(tasks)
        .flatMap(o -> paramRows(o, semantics, precision, safetensors, only).iterator());
    spark.createDataFrame(rows, PARAMS_SCHEMA)
        .write()
        .mode(SaveMode.Overwrite)
        .option("maxRecordsPerFile", PARAMS_ROWS_PER_FILE)
        .parquet(out + "/" + OutputPaths.PARAMS);
    return count;
  }

  /** @param only the run's layout and dtype in a run of one, whose targets name none */
  static List<Row> paramRows(Outcome o, String semantics, String precision, boolean safetensors, Encoding only) {
    Target t = o.target();
    Encoding encoding = t.encoding() != null ? t.encoding() : only;
    List<Row> rows = new ArrayList<>(t.layers().size());
    // The file this (model, length) points to, in either store; none without the safetensors format.
    String path = safetensors && !o.files().isEmpty() ? o.files().get(0).path() : null;
    // Which transformers version's rules resolved the row, where transformers' semantics were applied.
    String transformersSemantics = semantics.equals(org.ropeforge.core.Semantics.TRANSFORMERS.cliName())
        ? org.ropeforge.config.ModelTypeConformance.SEMANTICS_VERSION : null;
    for (int i = 0; i < t.layers().size(); i++) {
      LayerRope layer = t.layers().get(i);
      double[] inv = layer.invFreq();
      Double[] boxed = new Double[inv.length];
      for (int j = 0; j < inv.length; j++) {
        boxed[j] = inv[j];
      }
      rows.add(RowFactory.create(t.modelId(), t.contextLength(), layer.layerType(), layer.ropeType(),
          layer.rotaryDim(), boxed, layer.attentionFactor(), layer.softmaxScale(), semantics, precision,
          t.configSha256(), o.tableSha256().get(i), path, boxedAxis(layer.mropeAxis()), t.modelTypeConformance(),
          transformersSemantics, encoding.layout().cliName(), encoding.dtype().cliName()));
    }
    return rows;
  }

  /** The axis map as Spark wants an array column, or null for models without multimodal RoPE. */
  private static Byte[] boxedAxis(byte[] axis) {
    if (axis == null) {
      return null;
    }
    Byte[] boxed = new Byte[axis.length];
    for (int j = 0; j < axis.length; j++) {
      boxed[j] = axis[j];
    }
    return boxed;
  }

  /**
   * Writes the tables of the outputs written in this run, replacing only their partitions, so that a re-run
   * that skips current outputs keeps their tables. Returns the number of rows written.
   *
   * <p>The partitions being rewritten are deleted first and the new rows appended, rather than using Spark's
   * dynamic partition overwrite: S3A's committers (PathOutputCommitProtocol) refuse dynamic overwrite, and
   * deleting a handful of known partition folders works the same on every filesystem.
   */
  public long writeTables(JavaRDD<Outcome> written, TableWriting floats) throws IOException {
    JavaRDD<Target> targets = written.filter(Outcome::written).map(Outcome::target);
    boolean byTable = settings.contentAddressed();
    // In the content-addressed store the dataset is keyed by table, each table once, like the table files.
    // Its rows are float32 half rows whatever the layouts and dtypes: the forms of one output share a partition.
    JavaPairRDD<String, Target> keyed = byTable
        ? targets.mapToPair(t -> new Tuple2<>(TABLE_KEY + "=" + floats.contentKey(t), t)).reduceByKey((a, b) -> a)
        : targets.mapToPair(t -> new Tuple2<>("model_id=" + ExternalCatalogUtils.escapePathName(t.modelId())
            + "/context_length=" + t.contextLength(), t));
    if (!byTable && settings.severalEncodings()) {
      keyed = keyed.reduceByKey((a, b) -> a);
    }
    keyed = keyed.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    // The partitions being rewritten are deleted by the executors, a task's share each: nothing that grows with
    // the outputs reaches the driver.
    String root = out + "/" + OutputPaths.TABLES;
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    keyed.keys().foreachPartition(names -> {
      FileSystem fs = conf.fileSystem(new Path(root));
      while (names.hasNext()) {
        Path partition = new Path(root, names.next());
        if (fs.exists(partition)) {
          fs.delete(partition, true);
        }
      }
    });
    long positions = keyed.values().map(t -> t.contextLength() * t.layers().size()).fold(0L, Long::sum);
    int partitions = (int) Math.max(1, Math.min(10_000, (positions + TABLE_ROWS_PER_TASK - 1)
        / TABLE_ROWS_PER_TASK));
    JavaRDD<Row> rows = keyed.repartition(partitions).flatMap(kt -> new TableRows(kt._2(), floats, byTable
        ? new Object[] {kt._1().substring(TABLE_KEY.length() + 1)}
        : new Object[] {kt._2().modelId(), kt._2().contextLength()}));
    spark.createDataFrame(rows, byTable ? TABLES_BY_KEY_SCHEMA : TABLES_SCHEMA)
        .write()
        .mode(SaveMode.Append)
        .partitionBy(byTable ? new String[] {TABLE_KEY} : new String[] {"model_id", "context_length"})
        .parquet(out + "/" + OutputPaths.TABLES);
    keyed.unpersist(false);
    return positions;
  }

  /** The rows of one target's tables, computed a chunk at a time as the writer pulls them. */
  static final class TableRows implements Iterator<Row> {
    private static final int CHUNK_ROWS = 4096;

    private final Target target;
    private final TableWriting floats;
    private final Object[] partitionValues;
    private int layer;
    private long position;
    private long chunkStart = -1;
    private int half;
    private TableWriting.Rows cosRows;
    private TableWriting.Rows sinRows;
    private float[][] cosChunk;
    private float[][] sinChunk;

    /** @param partitionValues the values of the partition columns, which end every row */
    TableRows(Target target, TableWriting floats, Object[] partitionValues) {
      this.target = target;
      this.floats = floats;
      this.partitionValues = partitionValues.clone();
      startLayer();
    }

    private void startLayer() {
      if (layer < target.layers().size()) {
        LayerRope spec = target.layers().get(layer);
        half = spec.rotaryDim() / 2;
        cosRows = floats.rows(spec, 0);
        sinRows = floats.rows(spec, 1);
        chunkStart = -1;
      }
    }

    @Override
    public boolean hasNext() {
      return layer < target.layers().size();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (chunkStart < 0 || position >= chunkStart + CHUNK_ROWS) {
        chunkStart = position;
        long to = Math.min(target.contextLength(), chunkStart + CHUNK_ROWS);
        cosChunk = decode(cosRows, chunkStart, to);
        sinChunk = decode(sinRows, chunkStart, to);
      }
      int i = (int) (position - chunkStart);
      Object[] values = new Object[4 + partitionValues.length];
      values[0] = target.layers().get(layer).layerType();
      values[1] = (int) position;
      values[2] = box(cosChunk[i]);
      values[3] = box(sinChunk[i]);
      System.arraycopy(partitionValues, 0, values, 4, partitionValues.length);
      Row row = RowFactory.create(values);
      position++;
      if (position >= target.contextLength()) {
        position = 0;
        layer++;
        startLayer();
      }
      return row;
    }

    private float[][] decode(TableWriting.Rows rows, long from, long to) {
      int n = (int) (to - from);
      byte[] bytes = new byte[n * half * Float.BYTES];
      rows.fill(from, to, bytes);
      ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      float[][] values = new float[n][half];
      for (int r = 0; r < n; r++) {
        for (int j = 0; j < half; j++) {
          values[r][j] = buffer.getFloat();
        }
      }
      return values;
    }

    private static Float[] box(float[] values) {
      Float[] boxed = new Float[values.length];
      for (int j = 0; j < values.length; j++) {
        boxed[j] = values[j];
      }
      return boxed;
    }
  }
}
