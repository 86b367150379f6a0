package io.dvs.protocol;

/**
 * Request kinds. The code is what travels on the wire (16 bits); the high byte names the
 * server role (0x01 storage node, 0x02 metadata server). Never renumber; never use ordinal().
 */
public enum Opcode {
  // Storage node (SN) operations: block data, never metadata.
  WRITE_BLOCKS(0x0101),
  READ_BLOCKS(0x0102),
  RELEASE_BLOCKS(0x0103),
  FLUSH(0x0104),
  NODE_STATS(0x0105),
  /** Algorithm 4 of paper 1: add a device to a running SN (AddDevice in message/). */
  ADD_DEVICE(0x0106),

  // Metadata server (MS): SNMM.
  REGISTER_NODE(0x0201),
  HEARTBEAT(0x0202),
  LIST_NODES(0x0203),

  // MS: volumes (SSRDS) and leases.
  CREATE_VOLUME(0x0210),
  LIST_VOLUMES(0x0211),
  DELETE_VOLUME(0x0212),
  MOUNT_VOLUME(0x0213),
  UNMOUNT_VOLUME(0x0214),
  RENEW_LEASE(0x0215),
  /** Issue 4: a volume's size, inodes, mapped blocks and PA use (dvs volume stat). */
  VOLUME_STAT(0x0216),

  // MS: metadata loaded on demand by the client.
  GET_INODE(0x0220),
  LIST_DIR(0x0221),
  GET_LPT(0x0222),
  /** An inode's extended attributes (body as GET_INODE; answer: Xattrs). */
  GET_XATTRS(0x0223),

  // MS: WDACG allocation (algorithm 2) and the group metadata update (paper 1, 3.5).
  ALLOC_WDACG(0x0230),
  APPLY_JOURNAL(0x0231);

  private static final java.util.Map<Integer, Opcode> BY_CODE = new java.util.HashMap<>();

  static {
    for (Opcode op : values()) {
      if (BY_CODE.put(op.code, op) != null) {
        throw new AssertionError("duplicate opcode " + op.code);
      }
    }
  }

  private final int code;

  Opcode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** Returns the opcode for {@code code}, or null if no opcode has it. */
  public static Opcode fromCode(int code) {
    return BY_CODE.get(code);
  }
}
