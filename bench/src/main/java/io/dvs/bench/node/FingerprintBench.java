package io.dvs.bench.node;

import io.dvs.node.dedup.Fingerprinter;
import io.dvs.node.dedup.Fingerprinters;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fingerprints of 4 KiB blocks per second on one core (one thread), per algorithm; MB/s =
 * ops/s x 4096 / 10^6, to compare with {@code openssl speed -evp sha256 -bytes 4096}.
 * Short runs on purpose (shared machine): 1 fork, 1 x 2 s warm-up, 3 x 2 s measurement.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
public class FingerprintBench {
  @Param({"SHA-1", "SHA-256", "BLAKE3"})
  public String algorithm;

  private Fingerprinter fingerprinter;
  private final byte[] block = new byte[4096];

  @Setup
  public void setUp() {
    fingerprinter = Fingerprinters.forName(algorithm);
    new Random(1).nextBytes(block);
  }

  @Benchmark
  public byte[] fingerprint4KiB() {
    block[0]++;
    return fingerprinter.fingerprint(block, 0);
  }
}
