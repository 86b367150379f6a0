package io.dvs.meta.snmm;

import io.dvs.meta.MetaClock;
import io.dvs.meta.store.MetaStore;
import io.dvs.meta.store.SnsRecord;
import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.ProtocolLimits;
import io.dvs.protocol.message.NodeOps.Heartbeat;
import io.dvs.protocol.message.NodeOps.NodeInfo;
import io.dvs.protocol.message.NodeOps.RegisterNode;
import io.dvs.protocol.message.NodeStats;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The SNMM of paper 1: every storage node's descriptor (SNS), its liveness and its latest
 * stats (whose UR picks the SN of each WDACG, section 3.4). Registration is persisted (an SN
 * keeps its snId, and so its PAs, across restarts of either side); heartbeats only touch memory,
 * since an SN sends one a second and its stats are current again after one interval.
 */
public final class Snmm {
  private static final Logger LOG = Logger.getLogger(Snmm.class.getName());

  private final MetaStore store;
  private final MetaClock clock;
  private final long nodeDownAfterNanos;

  /** Every SNS, loaded at start; the map's own locking guards it (records are immutable). */
  private final Map<Integer, SnsRecord> nodes = new ConcurrentHashMap<>();

  /** Latest stats per snId (HEARTBEAT); absent until the SN registers or heartbeats. */
  private final Map<Integer, NodeStats> stats = new ConcurrentHashMap<>();

  /** Monotonic time of each SN's last REGISTER_NODE or HEARTBEAT. */
  private final Map<Integer, Long> lastSeenNanos = new ConcurrentHashMap<>();

  public Snmm(MetaStore store, MetaClock clock, long nodeDownAfterMs) {
    this.store = store;
    this.clock = clock;
    this.nodeDownAfterNanos = TimeUnit.MILLISECONDS.toNanos(nodeDownAfterMs);
    store.read(() -> store.nodes().all()).forEach(sns -> {
      nodes.put(sns.snId(), sns);
      stats.put(sns.snId(), sns.stats());
    });
  }

  /** Algorithm 3: create the SNS (or find the old one by UUID), init its PA space, update SNMM. */
  public synchronized int register(RegisterNode request) {
    if (request.nodeUuid().isEmpty() || request.host().isEmpty() || request.port() == 0) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT, "REGISTER_NODE needs a node UUID, a host"
          + " and a port (got uuid '" + request.nodeUuid() + "', host '" + request.host()
          + "', port " + request.port() + ")");
    }
    int snId = store.write(() -> {
      Optional<Integer> known = store.nodes().snIdOf(request.nodeUuid());
      int id;
      if (known.isPresent()) {
        id = known.get();
      } else {
        if (nodes.size() >= ProtocolLimits.NODES_MAX) {
          throw new DvsException(ErrorCode.NO_SPACE, "the SNMM holds " + nodes.size()
              + " storage nodes, the most LIST_NODES can report (" + ProtocolLimits.NODES_MAX
              + "); remove a node first");
        }
        id = store.nodes().newSnId();
        store.paSpace().addSn(id);
      }
      store.nodes().put(
          new SnsRecord(id, request.nodeUuid(), request.host(), request.port(), request.stats()));
      return id;
    });
    boolean isNew = !nodes.containsKey(snId);
    nodes.put(snId, new SnsRecord(snId, request.nodeUuid(), request.host(), request.port(),
        request.stats()));
    stats.put(snId, request.stats());
    lastSeenNanos.put(snId, clock.monotonicNanos());
    LOG.info((isNew ? "registered" : "re-registered") + " SN " + snId + " (" + request.nodeUuid()
        + ") at " + request.host() + ":" + request.port());
    return snId;
  }

  /** Updates stats and liveness; an unknown snId gets NOT_FOUND, so the SN re-registers. */
  public void heartbeat(Heartbeat request) {
    if (!nodes.containsKey(request.snId())) {
      throw DvsException.notFound("SN " + request.snId() + " is not registered with this MS;"
          + " register again");
    }
    stats.put(request.snId(), request.stats());
    lastSeenNanos.put(request.snId(), clock.monotonicNanos());
  }

  public boolean isKnown(int snId) {
    return nodes.containsKey(snId);
  }

  /** Up: heard from within nodeDownAfterMs. After an MS restart no SN is up until it speaks. */
  public boolean isUp(int snId) {
    Long last = lastSeenNanos.get(snId);
    return last != null && clock.monotonicNanos() - last <= nodeDownAfterNanos;
  }

  public Optional<InetSocketAddress> address(int snId) {
    SnsRecord sns = nodes.get(snId);
    return sns == null ? Optional.empty()
        : Optional.of(InetSocketAddress.createUnresolved(sns.host(), sns.port()));
  }

  /** The up SNs, lowest UR first (ties: lowest snId), for WDACG placement. */
  public List<Integer> upNodesByUtilization() {
    List<Integer> up = new ArrayList<>();
    for (int snId : nodes.keySet()) {
      if (isUp(snId)) {
        up.add(snId);
      }
    }
    up.sort(Comparator.<Integer>comparingDouble(id -> statsOf(id).utilization())
        .thenComparing(Comparator.naturalOrder()));
    return up;
  }

  private NodeStats statsOf(int snId) {
    return stats.getOrDefault(snId, NodeStats.EMPTY);
  }

  public List<NodeInfo> list() {
    List<NodeInfo> all = new ArrayList<>();
    nodes.values().stream().sorted(Comparator.comparingInt(SnsRecord::snId)).forEach(sns ->
        all.add(new NodeInfo(sns.snId(), sns.nodeUuid(), sns.host(), sns.port(),
            isUp(sns.snId()), statsOf(sns.snId()))));
    return all;
  }
}
