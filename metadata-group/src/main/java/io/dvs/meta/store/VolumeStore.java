package io.dvs.meta.store;

import io.dvs.protocol.message.InodeAttrs;
import io.dvs.protocol.message.LptExtent;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Every volume's metadata (SSRDS): descriptors, inodes, directory entries and LPT extents. The
 * volume logic talks only to this interface, so modulo backup (algorithm 6) can later wrap it
 * and copy each change to the backup MS.
 *
 * <p>Not transactional by itself: call inside {@link MetaStore#read} (queries) or
 * {@link MetaStore#write} (changes), which give atomicity and isolation.
 */
public interface VolumeStore {
  /** A directory entry as stored: name bytes (UTF-8) and the inode it names. */
  record DirentRow(byte[] name, long childIno) {}

  Optional<VolumeRecord> volume(long volumeId);

  OptionalLong volumeIdByName(String name);

  /** All volumes, by id, at most {@code max}. */
  List<VolumeRecord> volumes(int max);

  /** A fresh volume id, never handed out before (ids of deleted volumes are not reused). */
  long newVolumeId();

  /** Creates or replaces the descriptor (and its name index entry). */
  void putVolume(VolumeRecord volume);

  /**
   * Removes the volume with all its inodes, directory entries and LPT extents; {@code removed}
   * sees every LPT extent removed, so its PAs can be released.
   */
  void removeVolume(long volumeId, Consumer<LptExtent> removed);

  Optional<InodeAttrs> inode(long volumeId, long ino);

  /** Returns true if the inode is new. */
  boolean putInode(long volumeId, InodeAttrs attrs);

  /** Returns true if the inode existed. */
  boolean deleteInode(long volumeId, long ino);

  /** Creates or replaces entry {@code name} of directory {@code parentIno}. */
  void putDirent(long volumeId, long parentIno, byte[] name, long childIno);

  /** Returns true if the entry existed. */
  boolean deleteDirent(long volumeId, long parentIno, byte[] name);

  /** Entries of {@code parentIno} whose names sort after {@code afterName}, at most {@code max}. */
  List<DirentRow> dirents(long volumeId, long parentIno, byte[] afterName, int max);

  /**
   * The extents of {@code ino} covering blocks at or past {@code fromBlock}, ascending, at most
   * {@code max}; an extent that starts before {@code fromBlock} comes back cut at it.
   */
  List<LptExtent> lptExtents(long volumeId, long ino, long fromBlock, int max);

  /** How many blocks of {@code ino} the LPT maps. */
  long mappedBlocks(long volumeId, long ino);

  /**
   * Maps the extents' blocks in order, each replacing whatever mapped them. {@code beforeEach}
   * sees each extent before it is mapped (and may throw to refuse it); {@code replaced} sees each
   * old piece whose PA changes (a replayed extent changes nothing). Returns how many of the
   * blocks were mapped before.
   */
  long mapExtents(long volumeId, long ino, List<LptExtent> extents,
      Consumer<LptExtent> beforeEach, Consumer<LptExtent> replaced);

  /** {@link #mapExtents} of one extent. */
  default long mapExtent(long volumeId, long ino, LptExtent extent,
      Consumer<LptExtent> replaced) {
    return mapExtents(volumeId, ino, List.of(extent), x -> { }, replaced);
  }

  /**
   * Unmaps blocks {@code [fromBlock, toBlock)} of {@code ino}; {@code removed} sees each piece
   * that was mapped. Returns how many blocks were.
   */
  long unmapRange(long volumeId, long ino, long fromBlock, long toBlock,
      Consumer<LptExtent> removed);

  /** The inode's extended attributes (empty if it has none). */
  io.dvs.protocol.message.Xattrs xattrs(long volumeId, long ino);

  /** Replaces the inode's extended attributes; an empty set removes them. */
  void putXattrs(long volumeId, long ino, io.dvs.protocol.message.Xattrs xattrs);
}
