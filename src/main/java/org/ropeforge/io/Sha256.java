package org.ropeforge.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers; every checksum the job publishes is lower-case hex SHA-256. */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }

  public static String hex(byte[] data) {
    return HexFormat.of().formatHex(newDigest().digest(data));
  }

  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The hex digest of what {@code digest} has seen so far, leaving it able to go on. */
  public static String hexSoFar(MessageDigest digest) {
    try {
      return hex((MessageDigest) digest.clone());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests of the JDK providers are cloneable", e);
    }
  }
}
