package org.ropeforge.spark.output;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.plan.Target;

/**
 * What became of one {@link Target}: one manifest line, and the params rows of its layers.
 *
 * @param target the planned output
 * @param status written, skipped or error
 * @param files the files of this (model, context length), paths relative to the output root
 * @param tableSha256 per layer, hex SHA-256 of that layer's tensors as stored; empty on error
 * @param tableDevices per layer, where its table was computed: {@code cpu} or {@code cuda:<address>} (with
 *     {@code +cpu} when the GPU failed part-way and the CPU finished it); empty when unknown
 * @param gpu the GPU address Spark assigned to the task that wrote the files, or null
 * @param error the problem, or null
 */
public record Outcome(Target target, Status status, List<OutputFile> files, List<String> tableSha256,
    List<String> tableDevices, String gpu, Problem error) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A manifest row's status, by its manifest name. */
  public enum Status {
    /** Written by this run. */
    OK("ok"),
    /** Current from a previous run, checked and kept. */
    SKIPPED("skipped"),
    /** No output: see the row's error. */
    ERROR("error");

    private final String manifestName;

    Status(String manifestName) {
      this.manifestName = manifestName;
    }

    public String manifestName() {
      return manifestName;
    }

    /** The status of a manifest name, or null for a name no manifest uses. */
    public static Status parse(String name) {
      for (Status s : values()) {
        if (s.manifestName.equals(name)) {
          return s;
        }
      }
      return null;
    }
  }

  public Outcome {
    files = List.copyOf(files);
    tableSha256 = List.copyOf(tableSha256);
    tableDevices = List.copyOf(tableDevices);
  }

  public static Outcome failed(Target target, Problem error) {
    return new Outcome(target, Status.ERROR, List.of(), List.of(), List.of(), null, error);
  }

  public static Outcome failed(Target target) {
    return failed(target, target.error());
  }

  public boolean written() {
    return status == Status.OK;
  }

  /** The manifest's sort key: model id, then context length, then (in a run of several) layout and dtype. */
  public String sortKey() {
    String key = target.modelId() + '\u0000' + String.format(Locale.ROOT, "%019d", target.contextLength() + 1);
    return target.encoding() == null ? key : key + '\u0000' + target.encodingName();
  }

  public long bytes() {
    return files.stream().mapToLong(OutputFile::bytes).sum();
  }

  /** A published file, relative to the output root. */
  public record OutputFile(String path, long bytes, String sha256) implements Serializable {
    private static final long serialVersionUID = 1L;
  }
}
