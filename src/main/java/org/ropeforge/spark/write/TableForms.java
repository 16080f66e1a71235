package org.ropeforge.spark.write;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RowEncoder;
import org.ropeforge.core.table.TablePart;
import org.ropeforge.spark.plan.Encoding;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Target;

/**
 * The table writing of every form (layout, dtype) of a run, and, for a run of several, the writing of the
 * source rows each table is computed in once ({@link RowEncoder}): the half rows in the source dtype, one part
 * at a time ({@link #sourceParts}) or both halves of each row ({@link #sourceBoth}). Shipped to executors.
 */
public final class TableForms implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Encoding only;
  private final Map<Encoding, TableWriting> forms;
  private final TableWriting sourceParts;
  private final TableWriting sourceBoth;
  private final Dtype sourceDtype;

  private TableForms(Encoding only, Map<Encoding, TableWriting> forms, TableWriting sourceParts,
      TableWriting sourceBoth, Dtype sourceDtype) {
    this.only = only;
    this.forms = Collections.unmodifiableMap(new LinkedHashMap<>(forms));
    this.sourceParts = sourceParts;
    this.sourceBoth = sourceBoth;
    this.sourceDtype = sourceDtype;
  }

  /** The forms of a run with {@code settings}, each made by {@code factory}. */
  public static TableForms of(TableWriting.Factory factory, OutputSettings settings) {
    Map<Encoding, TableWriting> forms = new LinkedHashMap<>();
    for (Encoding encoding : settings.encodings()) {
      forms.put(encoding, factory.create(encoding.layout(), encoding.dtype(), settings.precision(),
          settings.semantics()));
    }
    if (!settings.severalEncodings()) {
      return new TableForms(settings.onlyEncoding(), forms, null, null, null);
    }
    Dtype source = RowEncoder.sourceDtype(settings.precision());
    return new TableForms(null, forms,
        factory.create(Layout.HALF, source, settings.precision(), settings.semantics()),
        factory.create(Layout.VLLM, source, settings.precision(), settings.semantics()), source);
  }

  /** One form, for targets that name none: the writing of a run of one layout and dtype. */
  public static TableForms single(Encoding encoding, TableWriting tables) {
    return new TableForms(encoding, Map.of(encoding, tables), null, null, null);
  }

  /** The form of {@code target}: its own in a run of several, the run's in a run of one. */
  public Encoding encodingOf(Target target) {
    Encoding encoding = target.encoding() != null ? target.encoding() : only;
    if (encoding == null || !forms.containsKey(encoding)) {
      throw new IllegalArgumentException("Target " + target.modelId() + " at " + target.contextLength()
          + " has form " + encoding + ", not one of the run's " + forms.keySet());
    }
    return encoding;
  }

  /** The table writing of {@code target}'s form. */
  public TableWriting of(Target target) {
    return forms.get(encodingOf(target));
  }

  public TableWriting of(Encoding encoding) {
    return forms.get(encoding);
  }

  public List<Encoding> encodings() {
    return List.copyOf(forms.keySet());
  }

  /** Whether the forms share a computation: false in a run of one form. */
  public boolean several() {
    return sourceParts != null;
  }

  /** The half rows in the source dtype, part 0 cos and part 1 sin; null in a run of one form. */
  TableWriting sourceParts() {
    return sourceParts;
  }

  /** Rows of both halves in the source dtype, cos then sin; null in a run of one form. */
  TableWriting sourceBoth() {
    return sourceBoth;
  }

  Dtype sourceDtype() {
    return sourceDtype;
  }

  /** The table part of a form's part index. */
  static TablePart part(Encoding encoding, int part) {
    return encoding.layout().parts().get(part);
  }
}
