package io.dvs.node.dedup;

/**
 * Hashes one block into its fingerprint: the pluggable hash module of paper 2, §3.4 (SHA-1 in
 * the paper; SHA-256 by default here; BLAKE3). Implementations are thread-safe.
 */
public interface Fingerprinter {
  /** The name stored in the superblock, e.g. {@code "SHA-256"}. */
  String algorithm();

  int digestBytes();

  /** The fingerprint of {@code src[off .. off + 4096)}. */
  byte[] fingerprint(byte[] src, int off);
}
