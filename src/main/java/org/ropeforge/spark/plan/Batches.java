package org.ropeforge.spark.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.table.TableOptions;

/**
 * Cuts the targets of one table spec into write tasks. Groups are split by files, never a file by rows: each
 * file's SHA-256 needs its bytes in order and an object store takes a file as one upload (see the README).
 */
public final class Batches {
  /** A write task streams to at most this many files at once; S3A buffers one block per open file. */
  public static final int MAX_FILES_PER_TASK = 64;

  /**
   * Without safetensors files (the params dataset alone) a write task computes each table once for its digests
   * and writes no file: it takes at most this many outputs, a bound on its list of outcomes and journal fragment.
   */
  public static final int MAX_OUTPUTS_WITHOUT_FILES = 10_000;

  /** A write task writes about this many bytes at most, so that big groups spread over the executors. */
  public static final long MAX_BYTES_PER_TASK = 1L << 30;

  private Batches() {}

  /** Targets of one spec in batches of at most {@code maxFiles} files and about {@code maxBytes} table bytes. */
  public static List<List<Target>> of(List<Target> targets, int maxFiles, long maxBytes, TableOptions tables) {
    return of(targets, t -> t, maxFiles, maxBytes, tables);
  }

  /** As {@link #of(List, int, long, TableOptions)}, for items that each carry a target. */
  public static <T> List<List<T>> of(List<T> items, Function<T, Target> targetOf, int maxFiles, long maxBytes,
      TableOptions tables) {
    List<T> sorted = new ArrayList<>(items);
    sorted.sort(Comparator.comparing((T item) -> targetOf.apply(item).modelId())
        .thenComparingLong(item -> targetOf.apply(item).contextLength()));
    List<List<T>> batches = new ArrayList<>();
    List<T> current = new ArrayList<>();
    long bytes = 0;
    for (T item : sorted) {
      long size = tableBytes(targetOf.apply(item), tables);
      if (!current.isEmpty() && (current.size() >= maxFiles || bytes + size > maxBytes)) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(item);
      bytes += size;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  /**
   * Units of items that each go to one task whole, in batches of at most {@code maxFiles} files and about
   * {@code maxBytes} table bytes (a unit larger than either is a batch of its own), in the order of their
   * first target's model and length.
   */
  public static <T> List<List<T>> of(List<T> units, Function<T, Target> targetOf, ToIntFunction<T> filesOf,
      ToLongFunction<T> bytesOf, int maxFiles, long maxBytes) {
    List<T> sorted = new ArrayList<>(units);
    sorted.sort(Comparator.comparing((T unit) -> targetOf.apply(unit).modelId())
        .thenComparingLong(unit -> targetOf.apply(unit).contextLength()));
    List<List<T>> batches = new ArrayList<>();
    List<T> current = new ArrayList<>();
    long bytes = 0;
    int files = 0;
    for (T unit : sorted) {
      long size = bytesOf.applyAsLong(unit);
      int count = filesOf.applyAsInt(unit);
      if (!current.isEmpty() && (files + count > maxFiles || bytes + size > maxBytes)) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
        files = 0;
      }
      current.add(unit);
      bytes += size;
      files += count;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  /** The table bytes of a target's file: every layer's tensors, without header and frequencies. */
  public static long tableBytes(Target target, TableOptions tables) {
    long bytes = 0;
    for (LayerRope layer : target.layers()) {
      bytes += rowBytes(layer, tables) * tables.layout().parts().size() * target.contextLength();
    }
    return bytes;
  }

  /** Bytes of one row of one tensor of {@code layer}'s table. */
  public static long rowBytes(LayerRope layer, TableOptions tables) {
    return (long) tables.layout().rowWidth(layer.rotaryDim()) * tables.dtype().size();
  }
}
