package org.ropeforge.core.vllm;

import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * One layer type's RoPE as vLLM's {@code get_rope} builds it, from the same normalised parameter dictionary the
 * transformers semantics reads. vLLM builds one {@code cos_sin_cache} per model at start-up and never changes it,
 * so nothing here grows with the context length: the context length only has to fit in that cache, and picks
 * LongRoPE's list as vLLM's {@code max_model_len} does.
 *
 * <p>The deviations from transformers, each on purpose (vLLM's behaviour, not an approximation of it):
 * <ul>
 *   <li>{@code partial_rotary_factor} applies to every rope type, plain RoPE included;</li>
 *   <li>{@code linear}: positions are divided by the factor (t / f, then t·ω), not the frequencies;</li>
 *   <li>{@code dynamic} with {@code factor}: one static base θ·(f² − f + 1)^(d/(d−2)), the transformers base at
 *       max_position_embeddings × f, at every length;</li>
 *   <li>{@code dynamic} with {@code alpha} (HunYuan): θ·α^(d/(d−2)) with d the rotary dim, and alpha wins over
 *       factor at every length;</li>
 *   <li>{@code yarn}: the attention factor is {@code attn_factor} × (0.1 ln f + 1) (only {@code attn_factor} when
 *       {@code apply_yarn_scaling} is false); {@code attention_factor}, {@code mscale} and {@code mscale_all_dim}
 *       are not read; {@code extrapolation_factor} scales the extrapolation weight;</li>
 *   <li>multi-head latent attention (DeepSeek) takes {@code deepseek_yarn}: g(f, mscale)/g(f, mscale_all_dim) ×
 *       {@code attn_factor} with mscale 1 and mscale_all_dim 0 when absent, always truncated;</li>
 *   <li>{@code longrope}: the long factors whenever the context length exceeds the original length; the
 *       attention factor from max_position_embeddings / original only ({@code factor} and
 *       {@code attention_factor} are not read); PhiMoE's short/long mscale as in transformers;</li>
 *   <li>{@code llama3} with low_freq_factor == high_freq_factor: a wavelength exactly on the boundary gets ω/f;</li>
 *   <li>{@code proportional} (Gemma 4): {@code factor} is not read ({@link Gemma4ProportionalRope}).</li>
 * </ul>
 *
 * <p>The types only vLLM has each have a class of their own: {@code ntk} ({@link NtkScalingRope}), {@code xdrope}
 * ({@link XdRope}), {@code openpangu} ({@link OpenPanguRope}), {@code telechat3-yarn} ({@link TeleChat3YarnRope});
 * so do the classes model code builds without {@code get_rope}'s dispatch ({@link Grok1ScalingRope},
 * {@link BailingMrope}). {@code mllama4} (a vision encoder's 2-D rope) and {@code use_fope} (learned coefficients)
 * are refused with their reasons.
 */
public final class VllmRope {
  /** The rope types (and model-specific classes) the vllm semantics computes, as refusals list them. */
  public static final String COVERED = "default, linear, dynamic, ntk_alpha, yarn, deepseek_yarn, longrope, llama3, "
      + "mrope, ntk, proportional, xdrope, openpangu, telechat3-yarn, and the Grok-1 and Bailing M-RoPE classes";

  private VllmRope() {}

  /**
   * The parameters of one layer type, the keys of its dictionary that vLLM does not read, and what the table does
   * not carry of vLLM's use of it (each a sentence for a warning).
   */
  public record Result(LayerRope layer, List<String> ignoredKeys, List<String> notes) {
    public Result {
      ignoredKeys = List.copyOf(ignoredKeys);
      notes = List.copyOf(notes);
    }
  }

  /**
   * @param in the layer's dictionary, geometry and context length
   * @param multiHeadLatentAttention whether vLLM's model code turns yarn into {@code deepseek_yarn}
   */
  public static Result compute(VariantInput in, boolean multiHeadLatentAttention) {
    return compute(in, multiHeadLatentAttention, true);
  }

  /**
   * @param partialRotary false where vLLM's model code drops partial_rotary_factor before {@code get_rope} (Bailing
   *     V3's multi-head latent attention rotates its whole rope head); it is then reported as not read
   */
  public static Result compute(VariantInput in, boolean multiHeadLatentAttention, boolean partialRotary) {
    RopeParams p = in.params();
    String type = p.ropeType();
    // Gemma 4's proportional rope spans the whole head and takes int(H·p) / 2 pairs, odd int(H·p) included.
    int dim = Gemma4ProportionalRope.TYPE.equals(type) ? in.rotaryDim(false) : in.rotaryDim(partialRotary);
    double theta = in.theta();
    Precision precision = in.precision();
    long maxPositions = in.maxPositionEmbeddings();
    List<String> ignored = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (!partialRotary && p.optDouble("partial_rotary_factor", 1.0) != 1.0) {
      ignored.add(p.path("partial_rotary_factor"));
    }
    if (p.optBoolean("use_fope", false)) {
      throw p.error("use_fope", "true", "is refused: vLLM's FourierRotaryEmbedding mixes the frequencies with "
          + "learned coefficients from the checkpoint weights, which a config does not hold");
    }
    LayerRope layer;
    switch (type) {
      case "default" -> {
        fit(in, type, maxPositions, "max_position_embeddings");
        layer = in.layer(type, FreqMath.defaultInvFreq(theta, dim, precision), 1.0, null);
      }
      case "linear" -> {
        double factor = p.requireFactor("factor");
        fit(in, type, (long) Math.ceil(maxPositions * factor), "max_position_embeddings x factor");
        LayerRope plain = in.layer(type, FreqMath.defaultInvFreq(theta, dim, precision), 1.0, null);
        layer = withPositionScale(plain, factor);
      }
      case "dynamic" -> {
        double factor = p.requireFactor("factor");
        fit(in, type, (long) Math.ceil(maxPositions * factor), "max_position_embeddings x factor");
        double base = theta * Math.pow(factor * factor - (factor - 1), (double) dim / (dim - 2));
        layer = in.layer(type, FreqMath.defaultInvFreq(base, dim, precision), 1.0, null);
      }
      case "ntk_alpha" -> {
        double alpha = p.requireFactor("alpha");
        fit(in, type, maxPositions, "max_position_embeddings");
        ignoreIfPresent(p, ignored, "factor");
        double base = theta * Math.pow(alpha, (double) dim / (dim - 2));
        layer = in.layer(type, FreqMath.defaultInvFreq(base, dim, precision), 1.0, null);
      }
      case "yarn" -> layer = yarn(in, dim, theta, multiHeadLatentAttention, ignored);
      case "longrope" -> layer = longrope(in, dim, theta, ignored);
      case "llama3" -> {
        fit(in, type, maxPositions, "max_position_embeddings");
        double factor = p.requireFactor("factor");
        double low = p.requireFactor("low_freq_factor");
        double high = p.requireFactor("high_freq_factor");
        double original = p.requirePositiveInteger("original_max_position_embeddings");
        double[] plain = FreqMath.defaultInvFreq(theta, dim, precision);
        double[] banded = FreqMath.llama3Bands(plain, factor, low, high, original, precision);
        if (low == high) {
          // vLLM blends with a smoothing weight of 0 where the band is empty, so the one boundary gets ω/f.
          double boundary = original / low;
          for (int i = 0; i < plain.length; i++) {
            double wavelen = precision == Precision.TORCH
                ? (1f / (float) plain[i]) * (float) (2 * Math.PI) : 2 * Math.PI / plain[i];
            double edge = precision == Precision.TORCH ? (float) boundary : boundary;
            if (wavelen == edge) {
              banded[i] = precision == Precision.TORCH ? (float) plain[i] / (float) factor : plain[i] / factor;
            }
          }
        }
        layer = in.layer(type, banded, 1.0, null);
      }
      case "ntk" -> layer = NtkScalingRope.compute(in, dim, theta);
      case "proportional" -> layer = Gemma4ProportionalRope.compute(in, theta, ignored);
      case "xdrope" -> layer = XdRope.compute(in, dim, theta, notes);
      case "openpangu" -> layer = OpenPanguRope.compute(in, dim, theta, notes);
      case "telechat3-yarn" -> layer = TeleChat3YarnRope.compute(in, dim, theta);
      case "mllama4" -> throw new RopeConfigException(in.modelId(), p.path("rope_type"), '"' + type + '"',
          "= \"mllama4\" is refused: vLLM's Llama4VisionRotaryEmbedding is the vision encoder's 2-D RoPE, whose "
              + "cache is indexed by image patch (x, y) coordinates, not by a token position; it has no position "
              + "table");
      default -> throw new RopeConfigException(in.modelId(), p.path("rope_type"), '"' + type + '"',
          "= \"" + type + "\" has no vLLM implementation that ropeforge reproduces (vllm semantics covers "
              + COVERED + ")");
    }
    return new Result(layer, ignored, notes);
  }

  private static LayerRope yarn(VariantInput in, int dim, double theta, boolean deepseek, List<String> ignored) {
    RopeParams p = in.params();
    YarnParams yarn = YarnParams.read(p);
    double factor = yarn.factor();
    double attnFactor = yarn.attnFactor();
    String type = deepseek ? "deepseek_yarn" : "yarn";
    fit(in, type, yarn.cacheRows(), "original_max_position_embeddings x factor");
    boolean truncate = deepseek || p.optBoolean("truncate", true);
    double attentionFactor;
    Double softmaxScale = null;
    if (deepseek) {
      double mscale = p.optDouble("mscale", 1);
      double mscaleAllDim = p.optDouble("mscale_all_dim", 0);
      attentionFactor = FreqMath.yarnMscale(factor, mscale) / FreqMath.yarnMscale(factor, mscaleAllDim) * attnFactor;
      ignoreIfPresent(p, ignored, "attention_factor", "truncate", "apply_yarn_scaling");
      if (in.softmaxScaleApplies() && mscaleAllDim != 0) {
        double g = FreqMath.yarnMscale(factor, mscaleAllDim);
        softmaxScale = g * g;
      }
    } else {
      // vLLM's multimodal RoPE drops apply_yarn_scaling before building its yarn frequencies.
      boolean applyScaling = p.has("mrope_section") || p.optBoolean("apply_yarn_scaling", true);
      attentionFactor = applyScaling ? FreqMath.yarnMscale(factor, 1.0) * attnFactor : attnFactor;
      ignoreIfPresent(p, ignored, "attention_factor", "mscale", "mscale_all_dim");
    }
    return in.layer(type, yarn.invFreq(dim, theta, truncate, in.precision()), attentionFactor, softmaxScale);
  }

  /** The keys vLLM's YaRN classes read, with {@code get_rope}'s defaults, read in this order. */
  record YarnParams(double factor, long original, double betaFast, double betaSlow, double extrapolationFactor,
      double attnFactor) {
    static YarnParams read(RopeParams p) {
      return new YarnParams(p.requireFactor("factor"), p.requirePositiveInteger("original_max_position_embeddings"),
          p.optDouble("beta_fast", 32), p.optDouble("beta_slow", 1), p.optDouble("extrapolation_factor", 1),
          p.optDouble("attn_factor", 1));
    }

    /** The rows of vLLM's cache: original_max_position_embeddings × factor. */
    long cacheRows() {
      return (long) Math.ceil(original * factor);
    }

    /** YaRN's frequencies: the blend over the correction range of the original length. */
    double[] invFreq(int dim, double theta, boolean truncate, Precision precision) {
      double[] range = FreqMath.yarnCorrectionRange(betaFast, betaSlow, dim, theta, original, truncate);
      return yarnBlend(theta, dim, factor, range[0], range[1], extrapolationFactor, precision);
    }
  }

  /** YaRN's blend with vLLM's extrapolation weight (1 − ramp) × extrapolation_factor. */
  static double[] yarnBlend(double base, int dim, double factor, double low, double high,
      double extrapolationFactor, Precision precision) {
    int half = dim / 2;
    double[] weights = yarnExtrapolationWeights(half, low, high, extrapolationFactor, precision);
    double[] powers = FreqMath.basePowers(base, half, dim, precision);
    double[] out = new double[half];
    for (int i = 0; i < half; i++) {
      if (precision == Precision.TORCH) {
        float pf = (float) powers[i];
        float extrapolation = 1.0f / pf;
        float interpolation = 1.0f / ((float) factor * pf);
        float weight = (float) weights[i];
        out[i] = interpolation * (1f - weight) + extrapolation * weight;
      } else {
        double extrapolation = 1.0 / powers[i];
        double interpolation = 1.0 / (factor * powers[i]);
        double weight = weights[i];
        out[i] = interpolation * (1.0 - weight) + extrapolation * weight;
      }
    }
    return out;
  }

  /**
   * YaRN's extrapolation weight per frequency, (1 − ramp_i) × extrapolation_factor with the ramp over [low, high]
   * (widened by 0.001 where the two meet, as vLLM does). In torch precision it is formed in float32, as vLLM's
   * tensors are; each such value is held exactly by the double.
   */
  static double[] yarnExtrapolationWeights(int half, double low, double high, double extrapolationFactor,
      Precision precision) {
    double span = low == high ? (high + 0.001) - low : high - low;
    double[] weights = new double[half];
    for (int i = 0; i < half; i++) {
      if (precision == Precision.TORCH) {
        float ramp = Math.min(Math.max(((float) i - (float) low) / (float) span, 0f), 1f);
        weights[i] = (1f - ramp) * (float) extrapolationFactor;
      } else {
        double ramp = Math.min(Math.max((i - low) / span, 0.0), 1.0);
        weights[i] = (1.0 - ramp) * extrapolationFactor;
      }
    }
    return weights;
  }

  private static LayerRope longrope(VariantInput in, int dim, double theta, List<String> ignored) {
    RopeParams p = in.params();
    long original = p.requirePositiveInteger("original_max_position_embeddings");
    long maxPositions = in.maxPositionEmbeddings();
    boolean useLong = in.contextLength() > original;
    fit(in, "longrope", Math.max(maxPositions, original),
        "max_position_embeddings (the long cache; original_max_position_embeddings for the short one)");
    double[] ext = useLong
        ? p.requireFactorList("long_factor", dim / 2, "rotary_dim/2")
        : p.requireFactorList("short_factor", dim / 2, "rotary_dim/2");
    ignoreIfPresent(p, ignored, "factor", "attention_factor");
    double scale = (double) maxPositions / original;
    double attentionFactor;
    String listMscale = useLong ? "long_mscale" : "short_mscale";
    if (p.has(listMscale)) {
      attentionFactor = p.requireFactor(listMscale);
    } else if (scale <= 1.0) {
      attentionFactor = 1.0;
    } else {
      if (original < 2) {
        throw p.error("original_max_position_embeddings", Long.toString(original),
            "must be at least 2 (its logarithm divides the attention factor)");
      }
      attentionFactor = Math.sqrt(1 + Math.log(scale) / Math.log(original));
    }
    double[] powers = FreqMath.basePowers(theta, dim / 2, dim, in.precision());
    double[] invFreq = new double[dim / 2];
    for (int i = 0; i < invFreq.length; i++) {
      invFreq[i] = in.precision() == Precision.TORCH
          ? 1.0f / ((float) ext[i] * (float) powers[i])
          : 1.0 / (ext[i] * powers[i]);
    }
    return in.layer("longrope", invFreq, attentionFactor, null);
  }

  /** vLLM cannot serve positions past its cache, so a longer table would be one no vLLM run uses. */
  static void fit(VariantInput in, String type, long cacheLength, String rule) {
    if (in.contextLength() > cacheLength) {
      throw new RopeConfigException(in.modelId(), "context_length", Long.toString(in.contextLength()),
          "= " + in.contextLength() + " exceeds the " + cacheLength + " positions of vLLM's cos_sin_cache for rope_type '"
              + type + "' (" + rule + ")");
    }
  }

  static void ignoreIfPresent(RopeParams p, List<String> ignored, String... keys) {
    for (String key : keys) {
      if (p.has(key)) {
        ignored.add(p.path(key));
      }
    }
  }

  private static LayerRope withPositionScale(LayerRope l, double scale) {
    return new LayerRope(l.layerType(), l.ropeType(), l.rotaryDim(), l.invFreq(), l.attentionFactor(),
        l.softmaxScale(), l.mropeSection(), scale, l.positionOffset(), l.mropeOrder());
  }
}
