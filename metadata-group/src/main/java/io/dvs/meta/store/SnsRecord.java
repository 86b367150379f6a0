package io.dvs.meta.store;

import io.dvs.protocol.WireWriter;
import io.dvs.protocol.message.NodeStats;

/**
 * A storage node's descriptor (paper 1's SNS) as persisted in the SNMM: which node, where to
 * reach it, and what it last reported. Liveness is not persisted: after an MS restart every SN
 * is down until it heartbeats.
 *
 * <pre>version u8 | snId u32 | nodeUuid string | host string | port u32 | NodeStats</pre>
 */
public record SnsRecord(int snId, String nodeUuid, String host, int port, NodeStats stats) {
  byte[] encode() {
    WireWriter w = new WireWriter(128).u8(StoredValues.VALUE_VERSION).i32(snId).string(nodeUuid)
        .string(host).i32(port);
    stats.writeTo(w);
    return w.toByteArray();
  }

  static SnsRecord decode(byte[] value) {
    return StoredValues.decode("SNS record", value, r -> new SnsRecord(
        r.count("snId", Integer.MAX_VALUE), r.string("nodeUuid", 0xFFFF),
        r.string("host", 0xFFFF), r.count("port", 65535), NodeStats.readFrom(r)));
  }
}
