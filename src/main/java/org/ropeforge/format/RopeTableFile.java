package org.ropeforge.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.ropeforge.BuildInfo;
import org.ropeforge.config.ModelTypeConformance;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * A model's RoPE tables at one context length as one safetensors file: what goes in it, where, and how to write
 * it.
 *
 * <p>Tensors, per layer type in the order of {@link ResolvedRope#layers()}: {@code inv_freq} (F32 [d/2]), for
 * multimodal RoPE {@code axis} (I8 [d/2], {@link LayerRope#mropeAxis()}), then
 * the layout's parts ({@code cos} and {@code sin}, or {@code cos_sin}) of shape [context_length, row width].
 * With several layer types ({@link ResolvedRope#perLayerType()}) each name is prefixed {@code <layer_type>.}.
 *
 * <p>Metadata (all strings): {@code format}, {@code format_version}, {@code ropeforge_version}, {@code model_id},
 * {@code context_length}, {@code semantics}, {@code precision}, {@code layout}, {@code dtype},
 * {@code config_sha256}, and per layer type {@code rope_type}, {@code rotary_dim}, {@code attention_factor}
 * (Java's shortest round-trip decimal), {@code softmax_scale} when the model has one, and {@code position_scale}
 * / {@code position_offset} when positions are not used as they are (ExLlamaV2). With several layer types the
 * per-layer keys are prefixed {@code <layer_type>.} and {@code layer_types} lists the types, comma-separated.
 *
 * <p>A plan is cheap and holds no table data. The Spark job can place any row range of any tensor by offset:
 * rows [a, b) of {@code entry} occupy file bytes {@code header().fileOffset(entry.info(), a * entry.rowBytes())}
 * onward, and {@code RopeTable.of(entry.layer(), options()).fill(entry.part(), a, b, buffer)} produces them.
 */
public final class RopeTableFile {
  /** The {@code format} metadata value of every file. */
  public static final String FORMAT = "ropeforge-rope-table";
  /**
   * Bumped on any change to tensor names, shapes, order or metadata keys that a reader would notice. 2: the
   * multimodal {@code axis} tensor of mrope models. 3: {@code transformers_semantics} and
   * {@code model_type_conformance}.
   */
  public static final String FORMAT_VERSION = "3";
  /** The project version written into every file, from the build. */
  public static final String ROPEFORGE_VERSION = BuildInfo.VERSION;

  /** The multimodal RoPE axis map's tensor name: one int8 per frequency, t 0, h 1, w 2 (mrope models only). */
  public static final String AXIS_TENSOR = "axis";

  /** Whether a tensor of this file format, by name, is a layer's axis map. */
  public static boolean isAxisTensor(String name) {
    return name.equals(AXIS_TENSOR) || name.endsWith("." + AXIS_TENSOR);
  }

  /** Rows written per chunk when streaming: ~1 MiB buffers keep the working set in L2. */
  private static final int CHUNK_BYTES = 1 << 20;

  /**
   * One tensor of the file and what produces it.
   *
   * @param info name, dtype, shape and data offsets
   * @param layer the layer type's parameters
   * @param part the table part, or null for {@code inv_freq}
   */
  public record Entry(Safetensors.TensorInfo info, LayerRope layer, TablePart part) {
    /** True for the multimodal RoPE axis map. */
    public boolean isAxis() {
      return part == null && isAxisTensor(info.name());
    }

    /** True for a cos/sin table tensor, false for {@code inv_freq} and {@code axis}. */
    public boolean isTable() {
      return part != null;
    }

    /** Bytes per row: the dimensions after the first times the element size (the whole tensor for inv_freq). */
    public long rowBytes() {
      long[] shape = info.shape();
      if (!isTable()) {
        return info.byteLength();
      }
      long values = 1;
      for (int i = 1; i < shape.length; i++) {
        values *= shape[i];
      }
      return values * info.elementSize();
    }

    /** Rows of a table tensor (the context length); 1 for inv_freq. */
    public long rows() {
      return isTable() ? info.shape()[0] : 1;
    }
  }

  private final ResolvedRope rope;
  private final TableOptions options;
  private final Safetensors.Header header;
  private final List<Entry> entries;

  private RopeTableFile(ResolvedRope rope, TableOptions options, Safetensors.Header header, List<Entry> entries) {
    this.rope = rope;
    this.options = options;
    this.header = header;
    this.entries = List.copyOf(entries);
  }

  /**
   * Plans the file for {@code rope} stored as {@code options}.
   *
   * @param configSha256 hex SHA-256 of the config bytes the parameters were resolved from
   * @throws IllegalArgumentException if the precisions of {@code rope} and {@code options} differ, the context
   *     length is out of range, or layer types are missing where the model has several
   */
  public static RopeTableFile plan(ResolvedRope rope, TableOptions options, String configSha256) {
    return plan(rope, options, configSha256, null);
  }

  /**
   * As {@link #plan(ResolvedRope, TableOptions, String)}, recording whether the model's type is in the
   * conformance table ({@code known} or {@code unknown}; null records nothing) as {@code model_type_conformance}.
   */
  public static RopeTableFile plan(ResolvedRope rope, TableOptions options, String configSha256,
      String modelTypeConformance) {
    Objects.requireNonNull(configSha256, "configSha256");
    return plan(rope, options, configSha256, modelTypeConformance, false);
  }

  /**
   * Plans the file of {@code rope}'s tables alone, for a store where models share table files: the metadata
   * describes the table and nothing of any model (no {@code model_id}, {@code config_sha256}, {@code rope_type}
   * or {@code softmax_scale}, which do not change a row), so that every model whose layers have these
   * {@link LayerRope#tableKey() table keys} and labels, at this length and these options, has the same bytes.
   * Its {@link #contentKey()} names the file.
   */
  public static RopeTableFile planShared(ResolvedRope rope, TableOptions options) {
    return plan(rope, options, null, null, true);
  }

  private static RopeTableFile plan(ResolvedRope rope, TableOptions options, String configSha256,
      String modelTypeConformance, boolean shared) {
    Objects.requireNonNull(rope, "rope");
    Objects.requireNonNull(options, "options");
    if (rope.precision() != options.precision()) {
      throw new IllegalArgumentException("Precision mismatch for model " + rope.modelId() + ": parameters "
          + rope.precision().cliName() + ", table " + options.precision().cliName());
    }
    long rows = rope.contextLength();
    if (rows < 1 || rows > RopeTable.MAX_ROWS) {
      throw new IllegalArgumentException("Invalid context length for model " + rope.modelId() + ": " + rows
          + " (must be in [1, 2^31])");
    }
    boolean prefixed = rope.perLayerType();
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", FORMAT);
    metadata.put("format_version", FORMAT_VERSION);
    metadata.put("ropeforge_version", ROPEFORGE_VERSION);
    if (!shared) {
      metadata.put("model_id", rope.modelId());
    }
    metadata.put("context_length", Long.toString(rows));
    metadata.put("semantics", rope.semantics().cliName());
    if (rope.semantics() == org.ropeforge.core.Semantics.TRANSFORMERS) {
      metadata.put("transformers_semantics", ModelTypeConformance.SEMANTICS_VERSION);
    }
    metadata.put("precision", rope.precision().cliName());
    metadata.put("layout", options.layout().cliName());
    metadata.put("dtype", options.dtype().cliName());
    if (!shared) {
      metadata.put("config_sha256", configSha256);
      if (modelTypeConformance != null) {
        metadata.put("model_type_conformance", modelTypeConformance);
      }
    }
    List<String> layerTypes = new ArrayList<>();
    List<Safetensors.TensorSpec> specs = new ArrayList<>();
    List<LayerRope> layers = new ArrayList<>();
    List<TablePart> parts = new ArrayList<>();
    for (LayerRope layer : rope.layers()) {
      String prefix = "";
      if (prefixed) {
        if (layer.layerType() == null || layer.layerType().isEmpty() || layerTypes.contains(layer.layerType())) {
          throw new IllegalArgumentException("Invalid layer types for model " + rope.modelId()
              + ": each of several layers needs its own non-empty layer_type");
        }
        layerTypes.add(layer.layerType());
        prefix = layer.layerType() + ".";
      }
      if (!shared) {
        metadata.put(prefix + "rope_type", layer.ropeType());
      }
      metadata.put(prefix + "rotary_dim", Integer.toString(layer.rotaryDim()));
      metadata.put(prefix + "attention_factor", Double.toString(layer.attentionFactor()));
      if (!shared && layer.softmaxScale() != null) {
        metadata.put(prefix + "softmax_scale", Double.toString(layer.softmaxScale()));
      }
      if (!layer.plainPositions()) {
        metadata.put(prefix + "position_scale", Double.toString(layer.positionScale()));
        metadata.put(prefix + "position_offset", Double.toString(layer.positionOffset()));
      }
      specs.add(new Safetensors.TensorSpec(prefix + "inv_freq", Dtype.F32.safetensorsName(),
          new long[] {layer.rotaryDim() / 2}));
      layers.add(layer);
      parts.add(null);
      if (layer.mropeSection() != null) {
        specs.add(new Safetensors.TensorSpec(prefix + AXIS_TENSOR, "I8", new long[] {layer.rotaryDim() / 2}));
        layers.add(layer);
        parts.add(null);
      }
      for (TablePart part : options.layout().parts()) {
        specs.add(new Safetensors.TensorSpec(prefix + part.tensorName(), options.dtype().safetensorsName(),
            options.layout().shape(rows, layer.rotaryDim())));
        layers.add(layer);
        parts.add(part);
      }
    }
    if (prefixed) {
      metadata.put("layer_types", String.join(",", layerTypes));
    }
    Safetensors.Header header = Safetensors.layout(metadata, specs);
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      entries.add(new Entry(header.tensor(specs.get(i).name()), layers.get(i), parts.get(i)));
    }
    return new RopeTableFile(rope, options, header, entries);
  }

  public ResolvedRope rope() {
    return rope;
  }

  /**
   * The name of this file in a content-addressed store: lower-case hex SHA-256 of the header's bytes followed by
   * every layer's inverse frequencies as the raw bits of their doubles (and its multimodal axis map, where the
   * file stores one). The header holds everything else a row
   * depends on (versions, semantics, precision, layout, dtype, length, rotary dims, attention factors, position
   * scale and offset, layer labels); the frequencies go in at full precision because the file stores them only
   * rounded to float32, and two tables may differ below that.
   */
  public String contentKey() {
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
    digest.update(header.encode());
    ByteBuffer bits = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (LayerRope layer : rope.layers()) {
      for (int j = 0; j < layer.rotaryDim() / 2; j++) {
        bits.clear();
        bits.putLong(Double.doubleToRawLongBits(layer.invFreq(j)));
        digest.update(bits.array());
      }
      // The axis map is stored data too, and the header says only that it is there.
      for (Entry entry : entries) {
        if (entry.isAxis() && entry.layer() == layer) {
          digest.update(layer.mropeAxis());
        }
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }

  public TableOptions options() {
    return options;
  }

  /** Header, tensor byte ranges and file size, without any data. */
  public Safetensors.Header header() {
    return header;
  }

  /** The tensors in file order, each with what produces it. */
  public List<Entry> entries() {
    return entries;
  }

  public long fileSize() {
    return header.fileSize();
  }

  /** The {@code inv_freq} tensor's bytes: the layer's frequencies rounded to float32. */
  public static ByteBuffer invFreqBytes(LayerRope layer) {
    int half = layer.rotaryDim() / 2;
    ByteBuffer out = ByteBuffer.allocate(4 * half).order(ByteOrder.LITTLE_ENDIAN);
    for (int j = 0; j < half; j++) {
      out.putFloat((float) layer.invFreq(j));
    }
    return out.flip();
  }

  /**
   * Writes the whole file to {@code out}, front to back, in chunks of about 1 MiB through one reused buffer;
   * the table is never held in memory. Each cos/sin part is generated on its own pass (a pass computes only
   * the values it stores, so two passes cost what one pass for both would).
   */
  public void write(OutputStream out) throws IOException {
    Safetensors.StreamWriter writer = new Safetensors.StreamWriter(out, header);
    ByteBuffer buffer = null;
    RopeTable table = null;
    for (Entry entry : entries) {
      if (!entry.isTable()) {
        writer.write(entry.isAxis() ? ByteBuffer.wrap(entry.layer().mropeAxis()) : invFreqBytes(entry.layer()));
        continue;
      }
      if (table == null || !table.layer().equals(entry.layer())) {
        table = RopeTable.of(entry.layer(), options);
      }
      int chunkRows = (int) Math.max(1, CHUNK_BYTES / entry.rowBytes());
      int capacity = (int) (chunkRows * entry.rowBytes());
      if (buffer == null || buffer.capacity() < capacity) {
        buffer = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
      }
      long rows = entry.rows();
      for (long row = 0; row < rows; row += chunkRows) {
        buffer.clear();
        table.fill(entry.part(), row, Math.min(rows, row + chunkRows), buffer);
        writer.write(buffer.flip());
      }
    }
    writer.finish();
  }
}
