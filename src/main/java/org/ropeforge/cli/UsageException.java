package org.ropeforge.cli;

/** A command line that cannot be run as written; the command prints its usage and exits with status 2. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
