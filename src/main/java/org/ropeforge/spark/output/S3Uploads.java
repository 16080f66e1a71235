package org.ropeforge.spark.output;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * Multipart uploads left open under an output root on S3: a writer killed mid-upload leaves its parts stored,
 * invisible to listings and billed, until someone aborts the upload. A class of its own, so that S3A's classes
 * load only where the output is on S3.
 */
final class S3Uploads {
  private S3Uploads() {}

  /** Aborts every open upload whose key is below {@code out}; returns how many. */
  static int abortUnder(FileSystem fs, Path out) throws IOException {
    if (!(fs instanceof S3AFileSystem s3)) {
      return 0;
    }
    String key = s3.pathToKey(s3.makeQualified(out));
    String prefix = key.isEmpty() || key.endsWith("/") ? key : key + "/";
    List<MultipartUpload> uploads = s3.listMultipartUploads(prefix);
    for (MultipartUpload upload : uploads) {
      s3.abortMultipartUpload(upload);
    }
    return uploads.size();
  }
}
