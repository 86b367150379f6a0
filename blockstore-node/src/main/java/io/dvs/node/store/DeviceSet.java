package io.dvs.node.store;

import com.google.common.base.Preconditions;
import io.dvs.volume.BlockDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * The SN's devices as one L space: device k holds Ls {@code [first_k, first_k + capacity_k)},
 * in superblock order (docs/format/sn-superblock.md). Devices are appended while the node runs
 * (paper 1, algorithm 4); the list is copy-on-write, so readers and writers never lock.
 *
 * <p>A device that fails an I/O is marked failed and named in the log once; the listener (the
 * dedup engine) then stops allocating its free Ls. Syncs skip failed devices: what they held is
 * gone, and the other devices must keep committing.
 */
public final class DeviceSet implements BlockDevice {
  private static final Logger LOG = Logger.getLogger(DeviceSet.class.getName());

  /** One device and where its Ls start. */
  private record Member(BlockDevice device, String name, long first, boolean[] failed) {
    long end() {
      return first + device.capacityBlocks();
    }
  }

  private final List<Member> members = new CopyOnWriteArrayList<>();
  private volatile BiConsumer<Long, Long> onFailure = (first, count) -> { };

  public DeviceSet(List<BlockDevice> devices, List<String> names) {
    Preconditions.checkArgument(!devices.isEmpty() && devices.size() == names.size(),
        "%s devices, %s names", devices.size(), names.size());
    for (int i = 0; i < devices.size(); i++) {
      add(devices.get(i), names.get(i));
    }
  }

  /** Appends a device; its Ls follow the current capacity. Returns the new capacity. */
  public synchronized long add(BlockDevice device, String name) {
    long first = capacityBlocks();
    members.add(new Member(device, name, first, new boolean[1]));
    return first + device.capacityBlocks();
  }

  /** Called with (first L, count) of a device when it fails. */
  public void onFailure(BiConsumer<Long, Long> listener) {
    this.onFailure = listener;
  }

  public int deviceCount() {
    return members.size();
  }

  @Override
  public long capacityBlocks() {
    List<Member> m = members;
    return m.isEmpty() ? 0 : m.get(m.size() - 1).end();
  }

  /** Names of devices that failed, for status and tests. */
  public List<String> failedDevices() {
    List<String> failed = new ArrayList<>();
    for (Member m : members) {
      if (m.failed()[0]) {
        failed.add(m.name());
      }
    }
    return failed;
  }

  private Member memberOf(long blockNo) {
    for (Member m : members) {
      if (blockNo >= m.first() && blockNo < m.end()) {
        return m;
      }
    }
    throw new IllegalArgumentException("L " + blockNo + " (expected: < " + capacityBlocks()
        + ")");
  }

  @Override
  public void read(long blockNo, byte[] dst, int off) throws IOException {
    read(blockNo, 1, dst, off);
  }

  @Override
  public void write(long blockNo, byte[] src, int off) throws IOException {
    write(blockNo, 1, src, off);
  }

  /** A run is split where it crosses from one device into the next. */
  @Override
  public void read(long first, int count, byte[] dst, int off) throws IOException {
    for (int done = 0; done < count; ) {
      Member m = memberOf(first + done);
      int n = (int) Math.min(count - done, m.end() - (first + done));
      try {
        m.device().read(first + done - m.first(), n, dst, off + done * BLOCK_SIZE_BYTES);
      } catch (IOException e) {
        throw failed(m, e);
      }
      done += n;
    }
  }

  @Override
  public void write(long first, int count, byte[] src, int off) throws IOException {
    for (int done = 0; done < count; ) {
      Member m = memberOf(first + done);
      int n = (int) Math.min(count - done, m.end() - (first + done));
      if (m.failed()[0]) {
        throw new IOException("device " + m.name() + " failed earlier; not writing L "
            + (first + done));
      }
      try {
        m.device().write(first + done - m.first(), n, src, off + done * BLOCK_SIZE_BYTES);
      } catch (IOException e) {
        throw failed(m, e);
      }
      done += n;
    }
  }

  @Override
  public void discard(long blockNo, long count) throws IOException {
    long l = blockNo;
    long end = blockNo + count;
    while (l < end) {
      Member m = memberOf(l);
      long n = Math.min(end, m.end()) - l;
      if (!m.failed()[0]) {
        m.device().discard(l - m.first(), n);
      }
      l += n;
    }
  }

  @Override
  public void sync() throws IOException {
    for (Member m : members) {
      if (m.failed()[0]) {
        continue;
      }
      try {
        m.device().sync();
      } catch (IOException e) {
        failed(m, e);
      }
    }
  }

  private IOException failed(Member m, IOException e) {
    boolean first;
    synchronized (m.failed()) {
      first = !m.failed()[0];
      m.failed()[0] = true;
    }
    if (first) {
      LOG.severe("device " + m.name() + " (Ls " + m.first() + ".." + (m.end() - 1)
          + ") failed: " + e + "; the storage node stops using it");
      onFailure.accept(m.first(), m.device().capacityBlocks());
    }
    return new IOException("device " + m.name() + ": " + e.getMessage(), e);
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Member m : members) {
      try {
        m.device().close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return members.size() + " device(s) of " + capacityBlocks() + " blocks";
  }
}
