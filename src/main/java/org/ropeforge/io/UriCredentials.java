package org.ropeforge.io;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials written into a URI ({@code s3a://KEY:SECRET@bucket/path}), taken out of it before the URI is used
 * anywhere, so that no progress line, manifest row, error message or log ever holds them. For S3 they move into
 * the Hadoop configuration as the bucket's own settings ({@code fs.s3a.bucket.<bucket>.access.key} and
 * {@code .secret.key}), which Spark and Hadoop redact by name; for any other scheme a password in a URI is
 * refused, since no setting could carry it. A user name without a password ({@code hdfs://user@nn}) is no
 * secret and stays.
 */
public final class UriCredentials {
  /** {@code scheme://user:password@}: the part of a URI that must never be printed. */
  public static final String USERINFO_WITH_PASSWORD = "[A-Za-z][A-Za-z0-9+.-]*://[^/@\\s]*:[^/@\\s]*@";

  private static final Pattern URI_WITH_PASSWORD =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^/@\\s:]*):([^/@\\s]*)@([^/\\s]*)(.*)", Pattern.DOTALL);

  private UriCredentials() {}

  /** True when {@code uri} carries a password in its user info. */
  public static boolean hasPassword(String uri) {
    return uri != null && URI_WITH_PASSWORD.matcher(uri).matches();
  }

  /**
   * {@code uri} without its credentials; an S3 URI's key and secret go to {@code hadoopSetting} as its bucket's
   * settings. {@code what} names the URI in an error (e.g. {@code Option 'out'}), which never shows the secret.
   */
  public static String extract(String uri, String what, BiConsumer<String, String> hadoopSetting) {
    Matcher m = URI_WITH_PASSWORD.matcher(uri);
    if (!m.matches()) {
      return uri;
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    String bucket = m.group(4);
    String clean = m.group(1) + "://" + bucket + m.group(5);
    if (!scheme.equals("s3a") && !scheme.equals("s3") && !scheme.equals("s3n")) {
      throw new IllegalArgumentException(what + " " + clean + " has a password in its URI, which would be printed"
          + " wherever the URI is; give the credentials through the filesystem's configuration instead");
    }
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException(what + " " + clean + " has credentials but no bucket");
    }
    hadoopSetting.accept("fs.s3a.bucket." + bucket + ".access.key", decode(m.group(2)));
    hadoopSetting.accept("fs.s3a.bucket." + bucket + ".secret.key", decode(m.group(3)));
    return clean;
  }

  /** {@code text} with the user info of every URI that carries a password replaced by {@code ***}. */
  public static String redact(String text) {
    return text == null ? null : text.replaceAll("([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s]*:[^/@\\s]*@", "$1***@");
  }

  private static String decode(String part) {
    // Secrets with '/' or '+' are written percent-encoded in URIs, as S3A has always read them.
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
