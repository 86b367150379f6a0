package io.dvs.meta.volume;

import io.dvs.protocol.DvsException;
import io.dvs.protocol.ErrorCode;
import io.dvs.protocol.FsNames;
import io.dvs.protocol.ProtocolLimits;

/** The rules for volume names and directory entry names; both are path components. */
public final class Names {
  private Names() {}

  /** 1..64 UTF-8 bytes, no '/', no NUL, not "." or "..": else INVALID_ARGUMENT. */
  public static void checkVolumeName(String name) {
    String why = componentProblem(name, ProtocolLimits.VOLUME_NAME_BYTES_MAX);
    if (why != null) {
      throw new DvsException(ErrorCode.INVALID_ARGUMENT, "volume name '" + name + "' " + why
          + " (use 1.." + ProtocolLimits.VOLUME_NAME_BYTES_MAX
          + " bytes without '/' or NUL, not '.' or '..')");
    }
  }

  /** A directory entry name from a journal record: a bad one rejects the group. */
  public static byte[] checkEntryName(String name) {
    String why = componentProblem(name, ProtocolLimits.NAME_BYTES_MAX);
    if (why != null) {
      throw DvsException.badRequest("entry name '" + name + "' " + why);
    }
    return FsNames.encode(name); // the user's bytes, UTF-8 or not
  }

  /** Returns what is wrong with {@code name} as a path component, or null. */
  static String componentProblem(String name, int maxBytes) {
    int bytes = FsNames.encodedLength(name);
    if (bytes < 1 || bytes > maxBytes) {
      return "is " + bytes + " bytes (expected: 1.." + maxBytes + ")";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      return "contains '/' or NUL";
    }
    if (name.equals(".") || name.equals("..")) {
      return "is reserved";
    }
    return null;
  }
}
