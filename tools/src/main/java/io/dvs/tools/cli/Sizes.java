package io.dvs.tools.cli;

/** Human-readable binary sizes for tables. */
final class Sizes {
  private Sizes() {}

  static String human(long bytes) {
    String units = "KMGTPE";
    if (bytes < 1024) {
      return bytes + "B";
    }
    int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
    double value = bytes / (double) (1L << (10 * unit));
    return (value == Math.rint(value) ? String.valueOf((long) value)
        : String.format("%.1f", value)) + units.charAt(unit - 1) + "iB";
  }
}
