package org.ropeforge.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What became of one {@link Target}: one manifest line, and the params rows of its layers.
 *
 * @param target the planned output
 * @param status {@link #OK}, {@link #SKIPPED} or {@link #ERROR}
 * @param files the files of this (model, context length), paths relative to the output root
 * @param tableSha256 per layer, hex SHA-256 of that layer's tensors as stored; empty on error
 * @param tableDevices per layer, where its table was computed: {@code cpu} or {@code cuda:<address>} (with
 *     {@code +cpu} when the GPU failed part-way and the CPU finished it); empty when unknown
 * @param gpu the GPU address Spark assigned to the task that wrote the files, or null
 * @param error the problem, or null
 */
record Outcome(Target target, String status, List<OutputFile> files, List<String> tableSha256,
    List<String> tableDevices, String gpu, Target.Problem error) implements Serializable {

  static final String OK = "ok";
  static final String SKIPPED = "skipped";
  static final String ERROR = "error";

  Outcome {
    files = List.copyOf(files);
    tableSha256 = List.copyOf(tableSha256);
    tableDevices = List.copyOf(tableDevices);
  }

  Outcome(Target target, String status, List<OutputFile> files, List<String> tableSha256, Target.Problem error) {
    this(target, status, files, tableSha256, List.of(), null, error);
  }

  static Outcome failed(Target target, Target.Problem error) {
    return new Outcome(target, ERROR, List.of(), List.of(), error);
  }

  static Outcome failed(Target target) {
    return failed(target, target.error());
  }

  boolean written() {
    return status.equals(OK);
  }

  /** The manifest's sort key: model id, then context length. */
  String sortKey() {
    return target.modelId() + '\u0000' + String.format("%019d", target.contextLength() + 1);
  }

  long bytes() {
    return files.stream().mapToLong(OutputFile::bytes).sum();
  }

  /** A published file, relative to the output root. */
  record OutputFile(String path, long bytes, String sha256) implements Serializable {}
}
