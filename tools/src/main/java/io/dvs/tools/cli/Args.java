package io.dvs.tools.cli;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Parsing and checking of command-line values, with messages that say what is expected. */
public final class Args {
  private Args() {}

  /** HOST:PORT, e.g. 127.0.0.1:7100. */
  public static InetSocketAddress hostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new UserException("'" + text + "' is not HOST:PORT (for example 127.0.0.1:7100)");
    }
    int port = port(text.substring(colon + 1));
    InetSocketAddress address = new InetSocketAddress(text.substring(0, colon), port);
    if (address.isUnresolved()) {
      throw new UserException("unknown host '" + text.substring(0, colon) + "' in " + text);
    }
    return address;
  }

  public static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Fall through to the message below.
    }
    throw new UserException("port '" + text + "' is not a number from 0 to 65535");
  }

  /** A size such as 4096, 64M, 1T (binary units: K = 1024). */
  public static long size(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("IB")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("B")) {
      t = t.substring(0, t.length() - 1);
    }
    String units = "KMGTPE";
    if (!t.isEmpty() && units.indexOf(t.charAt(t.length() - 1)) >= 0) {
      unit = 1L << (10 * (units.indexOf(t.charAt(t.length() - 1)) + 1));
      t = t.substring(0, t.length() - 1);
    }
    try {
      long value = Long.parseLong(t);
      if (value >= 0 && value <= Long.MAX_VALUE / unit) {
        return value * unit;
      }
    } catch (NumberFormatException e) {
      // Fall through to the message below.
    }
    throw new UserException("size '" + text + "' is not a size like 4096, 64M or 1T");
  }

  /** Creates {@code dir} if needed and checks that we can write in it. */
  public static Path writableDir(Path dir, String what) {
    Path d = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(d);
    } catch (Exception e) {
      throw new UserException(what + " " + d + " cannot be created (" + e.getMessage()
          + "); choose another with --data");
    }
    if (!Files.isWritable(d)) {
      throw new UserException(what + " " + d + " is not writable; choose another with --data");
    }
    return d;
  }

  /** The default data directory: $XDG_DATA_HOME/dvs, or ~/.local/share/dvs. */
  public static Path defaultDataDir() {
    String xdg = System.getenv("XDG_DATA_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "dvs");
    }
    return Path.of(System.getProperty("user.home"), ".local", "share", "dvs");
  }
}
