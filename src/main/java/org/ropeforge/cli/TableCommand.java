package org.ropeforge.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.format.Safetensors;

/**
 * {@code ropeforge table}: one model's cos/sin tables at one context length as a safetensors file, without
 * Spark. The file appears atomically (written under a temporary name in the same folder, then renamed).
 * Exit status 0 on success, 1 on failure, 2 on a usage error.
 */
public final class TableCommand {
  static final String USAGE = """
      usage: ropeforge table --config FILE --context-length N --out FILE.safetensors [options]
        --config FILE             one config.json or GGUF file; its model id is the file name without
                                  .json or .gguf
        --context-length N        rows of the table (positions 0..N-1), at most 2147483648
        --out FILE                the safetensors file to write (replaced if it exists)
        --layout L                half (default): cos, sin [N, d/2] | neox: [N, d] cat(h, h)
                                  | gptj: [N, d] values repeated in place | vllm: cos_sin [N, d]
                                  | pairs: cos_sin [N, d/2, 2] (cos, sin) pairs, complex64 memory
        --dtype D                 f32 (default) | f16 | bf16 | f64
        --precision P             exact (default) | torch
        --semantics S             transformers (default) | exllamav2 | vllm
      """;

  private TableCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path config;
    Path target;
    long contextLength;
    TableOptions options;
    Semantics semantics;
    try {
      CliArgs cli = CliArgs.parse(args, List.of("--config", "--context-length", "--out", "--layout", "--dtype",
          "--precision", "--semantics"), List.of("--help"));
      if (cli.flag("--help")) {
        out.print(USAGE);
        return 0;
      }
      if (!cli.positional().isEmpty()) {
        throw new UsageException("unexpected argument " + cli.positional().get(0));
      }
      for (String required : List.of("--config", "--context-length", "--out")) {
        if (!cli.has(required)) {
          throw new UsageException(required + " is required");
        }
      }
      config = Path.of(cli.get("--config", null));
      target = Path.of(cli.get("--out", null));
      contextLength = cli.positiveLong("--context-length", 0);
      if (contextLength > RopeTable.MAX_ROWS) {
        throw new UsageException("--context-length must be at most " + RopeTable.MAX_ROWS + ", got " + contextLength);
      }
      options = new TableOptions(Layout.parse(cli.get("--layout", "half")), Dtype.parse(cli.get("--dtype", "f32")),
          Precision.parse(cli.get("--precision", "exact")));
      semantics = Semantics.parse(cli.get("--semantics", "transformers"));
    } catch (UsageException | IllegalArgumentException e) {
      err.println("ropeforge table: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }

    String modelId = ConfigFile.stem(config);
    RopeTableFile plan;
    try {
      ConfigBytes bytes;
      try {
        bytes = ConfigFile.read(modelId, config);
      } catch (ConfigBytes.TooLargeException e) {
        err.println("ropeforge table: cannot read " + config + ": " + e.getMessage());
        return 1;
      }
      ModelConfig model = RopeResolver.parse(modelId, bytes);
      ResolvedRope rope = RopeResolver.resolve(model, contextLength,
          RopeResolver.Options.DEFAULT.withSemantics(semantics).withPrecision(options.precision()));
      rope.warnings().forEach(w -> err.println("ropeforge table: warning: " + w));
      plan = RopeTableFile.plan(rope, options, model.configSha256());
    } catch (IOException e) {
      err.println("ropeforge table: cannot read " + config + ": " + e);
      return 1;
    } catch (RopeConfigException | IllegalArgumentException e) {
      err.println("ropeforge table: " + e.getMessage());
      return 1;
    }

    err.println("ropeforge table: writing " + target + " (" + plan.fileSize() + " bytes, model " + modelId
        + ", context length " + contextLength + ", " + options.layout().cliName() + " "
        + options.dtype().cliName() + " " + options.precision().cliName() + ")");
    try {
      writeAtomically(plan, target);
    } catch (IOException e) {
      err.println("ropeforge table: cannot write " + target + ": " + e);
      return 1;
    }
    out.println(target + "\t" + plan.fileSize() + " bytes\t" + plan.header().tensors().stream()
        .map(Safetensors.TensorInfo::toString).collect(Collectors.joining("; ")));
    out.flush();
    return 0;
  }

  /** Readers never see a partial file: write a temporary sibling, force it to disk, rename it over the target. */
  static void writeAtomically(RopeTableFile plan, Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        OutputStream stream = Channels.newOutputStream(channel);
        plan.write(stream);
        channel.force(true);
      }
      Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temporary);
      }
    }
  }
}
