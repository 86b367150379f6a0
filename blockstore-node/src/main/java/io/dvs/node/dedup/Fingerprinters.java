package io.dvs.node.dedup;

import io.dvs.protocol.ProtocolLimits;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.bouncycastle.crypto.digests.Blake3Digest;

/** The fingerprint algorithms an SN can be formatted with. */
public final class Fingerprinters {
  public static final String SHA_1 = "SHA-1";
  public static final String SHA_256 = "SHA-256";
  public static final String BLAKE3 = "BLAKE3";

  /** Every name {@link #forName} accepts. */
  public static final List<String> NAMES = List.of(SHA_1, SHA_256, BLAKE3);

  /** BLAKE3 digest length: 256 bits, like SHA-256. */
  private static final int BLAKE3_DIGEST_BYTES = 32;

  private Fingerprinters() {}

  /** The fingerprinter for {@code name}; IllegalArgumentException listing the names if unknown. */
  public static Fingerprinter forName(String name) {
    return switch (name) {
      case SHA_1, SHA_256 -> new JdkFingerprinter(name);
      case BLAKE3 -> new Blake3Fingerprinter();
      default -> throw new IllegalArgumentException(
          "fingerprint algorithm '" + name + "' (expected one of " + NAMES + ")");
    };
  }

  /** SHA-1 or SHA-256 from the JDK; one MessageDigest per thread (they are not thread-safe). */
  private static final class JdkFingerprinter implements Fingerprinter {
    private final String algorithm;
    private final ThreadLocal<MessageDigest> digests;
    private final int digestBytes;

    JdkFingerprinter(String algorithm) {
      this.algorithm = algorithm;
      this.digests = ThreadLocal.withInitial(() -> newDigest(algorithm));
      this.digestBytes = newDigest(algorithm).getDigestLength();
    }

    private static MessageDigest newDigest(String algorithm) {
      try {
        return MessageDigest.getInstance(algorithm);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK lacks " + algorithm, e);
      }
    }

    @Override
    public String algorithm() {
      return algorithm;
    }

    @Override
    public int digestBytes() {
      return digestBytes;
    }

    @Override
    public byte[] fingerprint(byte[] src, int off) {
      MessageDigest digest = digests.get();
      digest.update(src, off, ProtocolLimits.BLOCK_SIZE_BYTES);
      return digest.digest();
    }
  }

  /** BLAKE3 from Bouncy Castle (the JDK has none). */
  private static final class Blake3Fingerprinter implements Fingerprinter {
    @Override
    public String algorithm() {
      return BLAKE3;
    }

    @Override
    public int digestBytes() {
      return BLAKE3_DIGEST_BYTES;
    }

    @Override
    public byte[] fingerprint(byte[] src, int off) {
      Blake3Digest digest = new Blake3Digest(BLAKE3_DIGEST_BYTES * 8);
      digest.update(src, off, ProtocolLimits.BLOCK_SIZE_BYTES);
      byte[] out = new byte[BLAKE3_DIGEST_BYTES];
      digest.doFinal(out, 0);
      return out;
    }
  }
}
