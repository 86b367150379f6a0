package io.dvs.node.dedup;

import io.dvs.volume.BlockDevice;
import java.io.IOException;

/** A device that passes every call to another; tests override the calls they interfere with. */
class ForwardingDevice implements BlockDevice {
  final BlockDevice inner;

  ForwardingDevice(BlockDevice inner) {
    this.inner = inner;
  }

  @Override public long capacityBlocks() {
    return inner.capacityBlocks();
  }

  @Override public void read(long blockNo, byte[] dst, int off) throws IOException {
    inner.read(blockNo, dst, off);
  }

  @Override public void write(long blockNo, byte[] src, int off) throws IOException {
    inner.write(blockNo, src, off);
  }

  @Override public void discard(long blockNo, long count) throws IOException {
    inner.discard(blockNo, count);
  }

  @Override public void sync() throws IOException {
    inner.sync();
  }

  @Override public void close() throws IOException {
    inner.close();
  }
}
