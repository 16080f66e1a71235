package org.ropeforge.format;

/** GGUF sources over bytes in memory, for tests. */
final class GgufFuzzSources {
  private GgufFuzzSources() {}

  static GgufFile.Source of(byte[] bytes) {
    return new GgufFile.Source() {
      @Override
      public long size() {
        return bytes.length;
      }

      @Override
      public void readFully(long position, byte[] buffer, int offset, int length) {
        if (position < 0 || position + length > bytes.length) {
          throw new IndexOutOfBoundsException("read of " + length + " bytes at " + position + " past "
              + bytes.length);
        }
        System.arraycopy(bytes, (int) position, buffer, offset, length);
      }
    };
  }
}
