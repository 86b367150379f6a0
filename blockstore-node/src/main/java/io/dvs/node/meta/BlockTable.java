package io.dvs.node.meta;

import com.google.common.base.Preconditions;
import com.google.common.base.Verify;
import java.util.Arrays;

/**
 * Every physical location L that holds data: its reference count (how many PAs map to it) and
 * the full fingerprint of its content (to confirm index candidates and to remove the index
 * entry when the count reaches 0). In memory, in pages of {@link #PAGE_BLOCKS} Ls allocated on
 * first use, so a large, mostly empty device costs nothing; 4 + digest bytes per L.
 *
 * <p>Not thread-safe: the dedup engine's metadata lock guards it.
 */
public final class BlockTable {
  /** 64 Ki Ls per page: 256 KiB of counts and 2 MiB of SHA-256 fingerprints per page. */
  static final int PAGE_SHIFT = 16;
  static final int PAGE_BLOCKS = 1 << PAGE_SHIFT;

  private final int digestBytes;
  private int[][] refCounts = new int[0][];
  private byte[][] fingerprints = new byte[0][];
  private long usedBlocks;
  private long referenceSum;

  public BlockTable(int digestBytes) {
    Preconditions.checkArgument(digestBytes > 0, "digestBytes: %s", digestBytes);
    this.digestBytes = digestBytes;
  }

  public int digestBytes() {
    return digestBytes;
  }

  /** Ls holding data. */
  public long usedBlocks() {
    return usedBlocks;
  }

  /** Sum of all reference counts: the number of PAs that map to a block. */
  public long referenceSum() {
    return referenceSum;
  }

  /** 0 if {@code location} holds no data. */
  public int refCount(long location) {
    int page = (int) (location >>> PAGE_SHIFT);
    return page < refCounts.length && refCounts[page] != null
        ? refCounts[page][(int) location & (PAGE_BLOCKS - 1)] : 0;
  }

  /** Records new content at a free L with {@code refCount} references. */
  public void create(long location, byte[] fingerprint, int refCount) {
    Preconditions.checkArgument(fingerprint.length == digestBytes && refCount >= 1,
        "fingerprint of %s bytes, refCount %s", fingerprint.length, refCount);
    Verify.verify(refCount(location) == 0, "L %s already holds data", location);
    int page = page(location);
    int i = (int) location & (PAGE_BLOCKS - 1);
    refCounts[page][i] = refCount;
    System.arraycopy(fingerprint, 0, fingerprints[page], i * digestBytes, digestBytes);
    usedBlocks++;
    referenceSum += refCount;
  }

  public void increment(long location) {
    int count = refCount(location);
    Verify.verify(count >= 1 && count < Integer.MAX_VALUE, "increment L %s with %s references",
        location, count);
    refCounts[(int) (location >>> PAGE_SHIFT)][(int) location & (PAGE_BLOCKS - 1)] = count + 1;
    referenceSum++;
  }

  /** Reference -1; returns the count left (0: the L is free now). */
  public int decrement(long location) {
    int count = refCount(location);
    Verify.verify(count >= 1, "decrement L %s with no references", location);
    refCounts[(int) (location >>> PAGE_SHIFT)][(int) location & (PAGE_BLOCKS - 1)] = count - 1;
    referenceSum--;
    if (count == 1) {
      usedBlocks--;
    }
    return count - 1;
  }

  /** For fsck: forces a count (0 frees the L). */
  public void setRefCount(long location, int count) {
    int old = refCount(location);
    Verify.verify(old >= 1 && count >= 0, "set L %s from %s to %s", location, old, count);
    refCounts[(int) (location >>> PAGE_SHIFT)][(int) location & (PAGE_BLOCKS - 1)] = count;
    referenceSum += count - old;
    if (count == 0) {
      usedBlocks--;
    }
  }

  /**
   * Forgets what a used L holds: it is being overwritten in place (see DedupEngine), so until
   * {@link #setFingerprint} its content is unknown. Stored as an all-zero fingerprint, which no
   * hash of real data produces (2^-160 at worst), so checkpoints keep their format.
   */
  public void forgetContent(long location) {
    Verify.verify(refCount(location) > 0, "L %s holds no data", location);
    int off = ((int) location & (PAGE_BLOCKS - 1)) * digestBytes;
    Arrays.fill(fingerprints[(int) (location >>> PAGE_SHIFT)], off, off + digestBytes, (byte) 0);
  }

  /** The content of a used L whose content was unknown is known again. */
  public void setFingerprint(long location, byte[] fingerprint) {
    Preconditions.checkArgument(fingerprint.length == digestBytes, "fingerprint of %s bytes",
        fingerprint.length);
    Verify.verify(refCount(location) > 0, "L %s holds no data", location);
    System.arraycopy(fingerprint, 0, fingerprints[(int) (location >>> PAGE_SHIFT)],
        ((int) location & (PAGE_BLOCKS - 1)) * digestBytes, digestBytes);
  }

  /** True if a used L's content is unknown ({@link #forgetContent}): it is not in the index. */
  public boolean contentUnknown(long location) {
    Verify.verify(refCount(location) > 0, "L %s holds no data", location);
    int off = ((int) location & (PAGE_BLOCKS - 1)) * digestBytes;
    byte[] page = fingerprints[(int) (location >>> PAGE_SHIFT)];
    for (int i = off; i < off + digestBytes; i++) {
      if (page[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Copies the fingerprint of a used L into a new array. */
  public byte[] fingerprint(long location) {
    Verify.verify(refCount(location) > 0, "L %s holds no data", location);
    int off = ((int) location & (PAGE_BLOCKS - 1)) * digestBytes;
    byte[] page = fingerprints[(int) (location >>> PAGE_SHIFT)];
    return Arrays.copyOfRange(page, off, off + digestBytes);
  }

  /** True if L holds data whose fingerprint is {@code fingerprint}. */
  public boolean matches(long location, byte[] fingerprint) {
    if (refCount(location) == 0 || fingerprint.length != digestBytes) {
      return false;
    }
    int off = ((int) location & (PAGE_BLOCKS - 1)) * digestBytes;
    return Arrays.equals(fingerprints[(int) (location >>> PAGE_SHIFT)], off, off + digestBytes,
        fingerprint, 0, digestBytes);
  }

  /** Visits every used L in order. */
  public void forEach(BlockVisitor visitor) {
    for (int page = 0; page < refCounts.length; page++) {
      if (refCounts[page] == null) {
        continue;
      }
      for (int i = 0; i < PAGE_BLOCKS; i++) {
        if (refCounts[page][i] > 0) {
          visitor.visit(((long) page << PAGE_SHIFT) | i, refCounts[page][i]);
        }
      }
    }
  }

  /** Receives one used L. */
  @FunctionalInterface
  public interface BlockVisitor {
    void visit(long location, int refCount);
  }

  /** Heap bytes of the allocated pages. */
  public long heapBytes() {
    long pages = Arrays.stream(refCounts).filter(p -> p != null).count();
    return pages * PAGE_BLOCKS * (Integer.BYTES + (long) digestBytes);
  }

  private int page(long location) {
    Preconditions.checkArgument(location >= 0 && (location >>> PAGE_SHIFT) < Integer.MAX_VALUE,
        "L %s", location);
    int page = (int) (location >>> PAGE_SHIFT);
    if (page >= refCounts.length) {
      int n = Math.max(page + 1, refCounts.length * 2);
      refCounts = Arrays.copyOf(refCounts, n);
      fingerprints = Arrays.copyOf(fingerprints, n);
    }
    if (refCounts[page] == null) {
      refCounts[page] = new int[PAGE_BLOCKS];
      fingerprints[page] = new byte[PAGE_BLOCKS * digestBytes];
    }
    return page;
  }
}
