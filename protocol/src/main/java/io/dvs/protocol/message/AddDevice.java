package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.TEXT_BYTES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * ADD_DEVICE (paper 1, algorithm 4: add a device to a running SN).
 *
 * <pre>
 * request   string plugin | string path | u64 capacityBlocks
 * response  u64 capacityBlocks   (the SN's new total)
 * </pre>
 *
 * An empty path asks the SN for a new sparse file of {@code capacityBlocks} blocks in its data
 * directory ({@code file} plugin); otherwise path is an absolute block device ({@code disk},
 * {@code ssd}) whose size the plugin reads, and capacityBlocks is 0.
 */
public record AddDevice(String plugin, String path, long capacityBlocks) {
  public byte[] encode() {
    return new WireWriter(64).string(plugin).string(path).i64(capacityBlocks).toByteArray();
  }

  public static AddDevice decode(byte[] body) {
    WireReader r = new WireReader(body);
    AddDevice m = new AddDevice(r.string("plugin", TEXT_BYTES_MAX),
        r.string("path", TEXT_BYTES_MAX), r.nonNegative("capacityBlocks"));
    r.expectEnd("ADD_DEVICE");
    return m;
  }

  public static byte[] encodeCapacity(long capacityBlocks) {
    return new WireWriter(8).i64(capacityBlocks).toByteArray();
  }

  public static long decodeCapacity(byte[] body) {
    WireReader r = new WireReader(body);
    long capacity = r.nonNegative("capacityBlocks");
    r.expectEnd("ADD_DEVICE response");
    return capacity;
  }
}
