package org.ropeforge.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ropeforge.core.table.Rounding;
import org.ropeforge.format.Safetensors;
import org.ropeforge.format.SafetensorsFormatException;

/**
 * {@code ropeforge inspect}: a safetensors file's header, metadata, and the first and last rows of every tensor.
 * Works on any valid safetensors file; refuses invalid ones with the reader's message. Exit status 0 on
 * success, 1 for an unreadable or invalid file, 2 on a usage error.
 */
public final class InspectCommand {
  static final String USAGE = """
      usage: ropeforge inspect FILE.safetensors
        prints the header (length, tensors with dtype, shape and data offsets), the metadata, and the first and
        last rows of each tensor (rows are the first dimension of 2-D and higher tensors, a 1-D tensor is one
        row; rows longer than 4096 values are cut short)
      """;

  /** Rows of foreign files can be huge; printing stops after this many values. */
  private static final int MAX_VALUES_PER_ROW = 4096;

  private InspectCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path file;
    try {
      CliArgs cli = CliArgs.parse(args, List.of(), List.of("--help"));
      if (cli.flag("--help")) {
        out.print(USAGE);
        return 0;
      }
      if (cli.positional().size() != 1) {
        throw new UsageException("give exactly one file, got " + cli.positional().size());
      }
      file = Path.of(cli.positional().get(0));
    } catch (UsageException e) {
      err.println("ropeforge inspect: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Safetensors.Header header = Safetensors.read(channel, file.toString());
      out.println("file: " + file);
      out.println("size: " + header.fileSize() + " bytes (header " + header.headerLength() + " bytes, data from byte "
          + header.dataStart() + ")");
      out.println("metadata:");
      for (Map.Entry<String, String> e : header.metadata().entrySet()) {
        out.println("  " + e.getKey() + ": " + e.getValue());
      }
      out.println("tensors:");
      for (Safetensors.TensorInfo t : header.tensors()) {
        out.println("  " + t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()) + " data_offsets ["
            + t.begin() + ", " + t.end() + ")");
      }
      out.println("rows:");
      for (Safetensors.TensorInfo t : header.tensors()) {
        printRows(channel, header, t, file.toString(), out);
      }
      out.flush();
      return 0;
    } catch (SafetensorsFormatException e) {
      err.println("ropeforge inspect: " + e.getMessage());
      return 1;
    } catch (NoSuchFileException e) {
      err.println("ropeforge inspect: no such file " + file);
      return 1;
    } catch (IOException e) {
      err.println("ropeforge inspect: cannot read " + file + ": " + e);
      return 1;
    }
  }

  private static void printRows(FileChannel channel, Safetensors.Header header, Safetensors.TensorInfo t,
      String source, PrintStream out) throws IOException {
    long[] shape = t.shape();
    // A 1-D tensor (inv_freq) is one row; otherwise rows are the first dimension.
    long rows = shape.length < 2 ? 1 : shape[0];
    if (rows == 0 || t.byteLength() == 0) {
      out.println("  " + t.name() + ": empty");
      return;
    }
    long rowBytes = t.byteLength() / rows;
    long shown = Math.min(rowBytes / t.elementSize(), MAX_VALUES_PER_ROW);
    for (long row : rows == 1 ? new long[] {0} : new long[] {0, rows - 1}) {
      ByteBuffer data = Safetensors.readData(channel, header, t, row * rowBytes, (int) (shown * t.elementSize()),
          source);
      StringBuilder line = new StringBuilder("  ").append(t.name());
      if (shape.length > 1) {
        line.append('[').append(row).append(']');
      }
      line.append(" = [");
      for (long i = 0; i < shown; i++) {
        line.append(i == 0 ? "" : ", ").append(value(data, t.dtype()));
      }
      long hidden = rowBytes / t.elementSize() - shown;
      line.append(hidden > 0 ? ", ... (" + hidden + " more)]" : "]");
      out.println(line);
    }
  }

  private static String value(ByteBuffer data, String dtype) {
    return switch (dtype) {
      case "F64" -> Double.toString(data.getDouble());
      case "F32" -> Float.toString(data.getFloat());
      case "F16" -> Float.toString((float) Rounding.fromF16(data.getShort()));
      case "BF16" -> Float.toString((float) Rounding.fromBf16(data.getShort()));
      case "I64" -> Long.toString(data.getLong());
      case "U64" -> Long.toUnsignedString(data.getLong());
      case "I32" -> Integer.toString(data.getInt());
      case "U32" -> Integer.toUnsignedString(data.getInt());
      case "I16" -> Short.toString(data.getShort());
      case "U16" -> Integer.toString(data.getShort() & 0xFFFF);
      case "I8" -> Byte.toString(data.get());
      case "BOOL" -> Boolean.toString(data.get() != 0);
      default -> "0x" + Integer.toHexString(data.get() & 0xFF);
    };
  }
}
