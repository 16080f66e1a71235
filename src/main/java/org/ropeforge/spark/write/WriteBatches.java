package org.ropeforge.spark.write;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.plan.Batches;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Target;

/**
 * Cuts the planned outputs of one table spec into write tasks. Used where the plan is made: on the executors for
 * a large catalog, on the driver for a small one, so that both make the same batches.
 */
public final class WriteBatches implements Serializable {
  private static final long serialVersionUID = 1L;

  private final OutputSettings settings;
  private final TableForms forms;
  private final int maxFiles;
  private final long maxBytes;

  /**
   * @param maxFiles files a task writes at most (outputs, when no files are written)
   * @param maxBytes table bytes a task writes at most
   */
  public WriteBatches(OutputSettings settings, TableForms forms, int maxFiles, long maxBytes) {
    this.settings = settings;
    this.forms = forms;
    this.maxFiles = maxFiles;
    this.maxBytes = maxBytes;
  }

  /** The batches of {@code members}, which share one exact table spec ({@link SpecGroups#exact}). */
  public List<List<PlannedOutput>> of(List<PlannedOutput> members) {
    boolean contentAddressed = settings.contentAddressed();
    // Units go to one task whole. Content-addressed: the targets of one file, which is written once (the content
    // key kept with each, so that the write task does not plan the shared file again to name it). Per model: the
    // forms (layout, dtype) of one (model, length), which share one table computation.
    Map<String, List<PlannedOutput>> units = new LinkedHashMap<>();
    // A content key depends on the layers, the length and the form alone, not on the model: computed once for the
    // targets that share them (their layer lists are one list here), not once per target.
    Map<List<Object>, String> contentKeys = new HashMap<>();
    for (PlannedOutput member : members) {
      Target t = member.target();
      if (contentAddressed) {
        String key = contentKeys.computeIfAbsent(Arrays.asList(t.layers(), t.contextLength(), t.encoding()),
            k -> forms.of(t).contentKey(t));
        units.computeIfAbsent(key, k -> new ArrayList<>()).add(member.withContentKey(key));
      } else {
        units.computeIfAbsent(Manifest.key(t.modelId(), t.contextLength()), k -> new ArrayList<>()).add(member);
      }
    }
    List<List<PlannedOutput>> batches = new ArrayList<>();
    for (List<List<PlannedOutput>> batch : Batches.of(new ArrayList<>(units.values()),
        unit -> unit.get(0).target(), unit -> contentAddressed ? 1 : unit.size(),
        unit -> (contentAddressed ? unit.subList(0, 1) : unit).stream()
            .mapToLong(p -> Batches.tableBytes(p.target(), settings.tableOptions(forms.encodingOf(p.target()))))
            .sum(),
        maxFiles, maxBytes)) {
      batches.add(batch.stream().flatMap(List::stream).toList());
    }
    return batches;
  }
}
