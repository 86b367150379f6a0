package io.dvs.protocol;

/**
 * Every limit of the wire format, named once. Decoders check each length they read against
 * these before allocating anything, so a peer's bytes can never make us allocate without bound.
 */
public final class ProtocolLimits {
  /** The logical and physical block size of the whole system (papers 1 and 2: 4 KiB blocks). */
  public static final int BLOCK_SIZE_BYTES = 4096;

  /** Blocks in one READ_BLOCKS/WRITE_BLOCKS batch: 1 MiB of data, eight FUSE 128 KiB requests. */
  public static final int BATCH_BLOCKS_MAX = 256;

  /** Fixed part of a frame after its length field; see {@link FrameDecoder} for the layout. */
  public static final int FRAME_HEADER_BYTES = 1 + 1 + 2 + 8 + 2 + 2;

  /** A frame's length field may not exceed this: one full batch plus generous room for headers. */
  public static final int FRAME_BYTES_MAX = 8 * 1024 * 1024;

  /** Capability tokens are small signed blobs (issued by the MS, checked by the SN). */
  public static final int CAPABILITY_BYTES_MAX = 1024;

  /** POSIX NAME_MAX: one path component. */
  public static final int NAME_BYTES_MAX = 255;

  /** Symlink targets up to PATH_MAX. */
  public static final int SYMLINK_TARGET_BYTES_MAX = 4096;

  /** Volume names: short, printable, no slash (checked by {@code VolumeNames}). */
  public static final int VOLUME_NAME_BYTES_MAX = 64;

  /** Entries in one LIST_DIR or GET_LPT page; bounds the response size. */
  public static final int PAGE_ENTRIES_MAX = 4096;

  /** Records in one journal group; a group must also fit in one frame. */
  public static final int JOURNAL_RECORDS_MAX = 65_536;

  /** Blocks in one WDACG request (algorithm 2's n). 64 Ki blocks = 256 MiB of writes. */
  public static final int WDACG_BLOCKS_MAX = 65_536;

  /** Nodes listed by LIST_NODES. */
  public static final int NODES_MAX = 1024;

  /** Short free-text fields (host names, error messages, node ids). */
  public static final int TEXT_BYTES_MAX = 4096;

  static {
    if (BATCH_BLOCKS_MAX * BLOCK_SIZE_BYTES + 64 * 1024 > FRAME_BYTES_MAX) {
      throw new AssertionError("a full block batch must fit in one frame");
    }
  }

  private ProtocolLimits() {}
}
