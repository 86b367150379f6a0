package io.dvs.node.store;

import com.google.common.base.Verify;
import io.dvs.node.dedup.FingerprintIndex;
import java.util.Map;

/** The simple index: one persistent hash map keyed by the whole fingerprint. */
final class MapDbFingerprintIndex implements FingerprintIndex {
  private final Map<byte[], Long> map;

  MapDbFingerprintIndex(Map<byte[], Long> map) {
    this.map = map;
  }

  @Override
  public long lookup(byte[] fingerprint) {
    Long location = map.get(fingerprint);
    return location == null ? NO_LOCATION : location;
  }

  @Override
  public void insert(byte[] fingerprint, long location) {
    Long previous = map.putIfAbsent(fingerprint, location);
    Verify.verify(previous == null, "fingerprint already indexed at L %s (inserting L %s)",
        previous, location);
  }

  @Override
  public void remove(byte[] fingerprint, long location) {
    Long previous = map.remove(fingerprint);
    Verify.verify(previous != null && previous == location,
        "index maps the fingerprint of L %s to L %s", location, previous);
  }

  @Override
  public long size() {
    return map.size();
  }
}
