package io.dvs.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged `dvs` command run as a separate process, as a user or a service runs it. */
final class DvsProcess implements AutoCloseable {
  /** Lines kept from a process's output; a test reads a few. */
  static final int LINES_MAX = 10_000;

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>(LINES_MAX);
  private final List<String> all = new ArrayList<>();
  private final Thread reader;

  private DvsProcess(Process process) {
    this.process = process;
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          System.out.println("[dvs " + process.pid() + "] " + line);
          lines.offer(line);
          synchronized (all) {
            all.add(line);
          }
        }
      } catch (IOException e) {
        // The process ended.
      }
    }, "dvs-output");
    reader.setDaemon(true);
    reader.start();
  }

  static Path jar() {
    return Path.of(System.getProperty("dvs.jar", "target/dvs.jar"));
  }

  static DvsProcess start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("java", "-jar", jar().toString()));
    command.addAll(List.of(args));
    return new DvsProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /** Runs to completion; returns the exit code, output in {@link #output()}. */
  static DvsProcess run(String... args) throws Exception {
    DvsProcess p = start(args);
    if (!p.process.waitFor(2, TimeUnit.MINUTES)) {
      p.process.destroyForcibly();
      throw new AssertionError("dvs " + String.join(" ", args) + " did not finish");
    }
    p.reader.join(10_000); // The output ends when the process does.
    return p;
  }

  /** Waits for an output line matching {@code regex}; returns its first group (or the line). */
  String await(String regex, long timeoutMs) throws InterruptedException {
    Pattern pattern = Pattern.compile(regex);
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (line != null) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : line;
        }
      } else if (!process.isAlive()) {
        break;
      }
    }
    throw new AssertionError("no output matching " + regex + "; got: " + output());
  }

  String output() {
    synchronized (all) {
      return String.join("\n", all);
    }
  }

  int exitCode() throws InterruptedException {
    return process.waitFor();
  }

  /** SIGTERM and wait: the clean shutdown path. */
  int terminate() throws InterruptedException {
    // Process.destroy() would also close our ends of its pipes, losing its last words.
    process.toHandle().destroy();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("dvs did not stop on SIGTERM");
    }
    reader.join(10_000);
    return process.exitValue();
  }

  /** SIGKILL: the crash path. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
