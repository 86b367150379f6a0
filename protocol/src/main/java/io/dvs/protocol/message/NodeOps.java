package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.NODES_MAX;
import static io.dvs.protocol.ProtocolLimits.TEXT_BYTES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;
import java.util.ArrayList;
import java.util.List;

/** SNMM messages: storage nodes register and heartbeat; clients list them. */
public final class NodeOps {
  private NodeOps() {}

  /**
   * REGISTER_NODE: {@code string nodeUuid | string host | u32 port | NodeStats}. Response:
   * {@code u32 snId}. The UUID is made when the SN is formatted, so a restarted SN gets its old
   * snId back and its PAs stay valid (algorithm 3: create SNS, init, update SNMM).
   */
  public record RegisterNode(String nodeUuid, String host, int port, NodeStats stats) {
    public byte[] encode() {
      WireWriter w = new WireWriter(128);
      w.string(nodeUuid).string(host).i32(port);
      stats.writeTo(w);
      return w.toByteArray();
    }

    public static RegisterNode decode(byte[] body) {
      WireReader r = new WireReader(body);
      RegisterNode m = new RegisterNode(r.string("nodeUuid", TEXT_BYTES_MAX),
          r.string("host", TEXT_BYTES_MAX), r.count("port", 65535), NodeStats.readFrom(r));
      r.expectEnd("REGISTER_NODE");
      return m;
    }
  }

  /** The REGISTER_NODE response: {@code u32 snId}. */
  public static byte[] encodeSnId(int snId) {
    return new WireWriter(4).i32(snId).toByteArray();
  }

  public static int decodeSnId(byte[] body) {
    WireReader r = new WireReader(body);
    int snId = r.count("snId", Integer.MAX_VALUE);
    r.expectEnd("REGISTER_NODE response");
    return snId;
  }

  /** HEARTBEAT: {@code u32 snId | NodeStats}. Response: empty. */
  public record Heartbeat(int snId, NodeStats stats) {
    public byte[] encode() {
      WireWriter w = new WireWriter(72);
      w.i32(snId);
      stats.writeTo(w);
      return w.toByteArray();
    }

    public static Heartbeat decode(byte[] body) {
      WireReader r = new WireReader(body);
      Heartbeat m = new Heartbeat(r.count("snId", Integer.MAX_VALUE), NodeStats.readFrom(r));
      r.expectEnd("HEARTBEAT");
      return m;
    }
  }

  /** One SNS as the SNMM shows it. */
  public record NodeInfo(int snId, String nodeUuid, String host, int port, boolean up,
      NodeStats stats) {
    void writeTo(WireWriter w) {
      w.i32(snId).string(nodeUuid).string(host).i32(port).bool(up);
      stats.writeTo(w);
    }

    static NodeInfo readFrom(WireReader r) {
      return new NodeInfo(r.count("snId", Integer.MAX_VALUE), r.string("nodeUuid", TEXT_BYTES_MAX),
          r.string("host", TEXT_BYTES_MAX), r.count("port", 65535), r.bool("up"),
          NodeStats.readFrom(r));
    }
  }

  /** LIST_NODES request: empty. Response: {@code u32 count | count x NodeInfo}. */
  public static byte[] encodeNodeList(List<NodeInfo> nodes) {
    WireWriter w = new WireWriter(16 + nodes.size() * 128);
    w.i32(nodes.size());
    nodes.forEach(n -> n.writeTo(w));
    return w.toByteArray();
  }

  public static List<NodeInfo> decodeNodeList(byte[] body) {
    WireReader r = new WireReader(body);
    int count = r.count("nodes", NODES_MAX);
    List<NodeInfo> nodes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      nodes.add(NodeInfo.readFrom(r));
    }
    r.expectEnd("LIST_NODES response");
    return nodes;
  }
}
