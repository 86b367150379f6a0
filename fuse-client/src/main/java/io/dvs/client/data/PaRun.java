package io.dvs.client.data;

/** {@code count} consecutive PAs from {@code firstPa} on SN {@code snId}. */
record PaRun(int snId, long firstPa, int count) {
  /** The PAs left after the first {@code taken}. */
  PaRun rest(int taken) {
    return new PaRun(snId, firstPa + taken, count - taken);
  }
}
