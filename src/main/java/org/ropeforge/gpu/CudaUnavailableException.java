package org.ropeforge.gpu;

/** No usable CUDA device: the message says why (no driver, no such device, module refused, ...). */
public final class CudaUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CudaUnavailableException(String message) {
    super(message);
  }

  public CudaUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
