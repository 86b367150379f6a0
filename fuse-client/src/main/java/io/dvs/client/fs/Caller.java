package io.dvs.client.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Who made a request (FUSE's context: uid, gid, pid), for the few rules the kernel leaves to
 * the filesystem: setgid clearing on chmod, suid/sgid clearing on write.
 */
record Caller(int uid, int gid, long pid) {
  static final int ROOT_UID = 0;

  boolean isRoot() {
    return uid == ROOT_UID;
  }

  /**
   * in_group_p(): the primary group or a supplementary one. FUSE sends only the primary group,
   * so the supplementary ones come from /proc/PID/status (one small read, on chmod only).
   */
  boolean inGroup(int group) {
    if (group == gid) {
      return true;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("Groups:")) {
          for (String g : line.substring("Groups:".length()).trim().split("\\s+")) {
            if (!g.isEmpty() && Integer.parseInt(g) == group) {
              return true;
            }
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      return false; // The process is gone or unreadable: treat as not a member (safe side).
    }
    return false;
  }
}
