package io.dvs.meta.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.Serializer;

/**
 * The persisted half of the SNMM: one {@link SnsRecord} per storage node, and the node UUID to
 * snId index that gives a re-registering SN its old id. Call inside {@link MetaStore#read} or
 * {@link MetaStore#write}.
 */
public final class NodeTable {
  private final MetaStore store;
  private final BTreeMap<Integer, byte[]> bySnId;
  private final BTreeMap<String, Integer> byUuid;

  NodeTable(MetaStore store, DB db) {
    this.store = store;
    this.bySnId = db.treeMap("nodes", Serializer.INTEGER, Serializer.BYTE_ARRAY).createOrOpen();
    this.byUuid = db.treeMap("nodeUuids", Serializer.STRING, Serializer.INTEGER).createOrOpen();
  }

  public Optional<SnsRecord> get(int snId) {
    byte[] value = bySnId.get(snId);
    return value == null ? Optional.empty() : Optional.of(SnsRecord.decode(value));
  }

  public Optional<Integer> snIdOf(String nodeUuid) {
    return Optional.ofNullable(byUuid.get(nodeUuid));
  }

  /** A fresh snId, never handed out before. */
  public int newSnId() {
    long id = store.nextCounter(MetaStore.NEXT_SN_ID_KEY);
    if (id > Integer.MAX_VALUE) {
      throw new IllegalStateException("snId space exhausted: " + id);
    }
    return (int) id;
  }

  public void put(SnsRecord sns) {
    bySnId.put(sns.snId(), sns.encode());
    byUuid.put(sns.nodeUuid(), sns.snId());
  }

  public List<SnsRecord> all() {
    List<SnsRecord> all = new ArrayList<>();
    bySnId.values().forEach(v -> all.add(SnsRecord.decode(v)));
    return all;
  }
}
