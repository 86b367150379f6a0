package io.dvs.protocol.message;

import static io.dvs.protocol.ProtocolLimits.SYMLINK_TARGET_BYTES_MAX;

import io.dvs.protocol.WireReader;
import io.dvs.protocol.WireWriter;

/**
 * An inode's attributes, as the MS stores them and the client caches them. Immutable: a change
 * makes a new value (the journal ships whole values, which makes replay idempotent).
 *
 * <pre>
 * ino u64 | mode u32 | nlink u32 | uid u32 | gid u32 | rdev u64 | size u64
 * | atimeNs i64 | mtimeNs i64 | ctimeNs i64 | string symlinkTarget
 * </pre>
 *
 * @param mode POSIX st_mode: file type bits (S_IFREG, S_IFDIR, ...) and permission bits
 * @param size bytes; for a symlink, the target's length
 * @param symlinkTarget empty unless this is a symlink
 */
public record InodeAttrs(
    long ino, int mode, int nlink, int uid, int gid, long rdev, long size,
    long atimeNs, long mtimeNs, long ctimeNs, String symlinkTarget) {

  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  /** The root directory's inode number in every volume. */
  public static final long ROOT_INO = 1;

  public boolean isDirectory() {
    return (mode & S_IFMT) == S_IFDIR;
  }

  public boolean isRegular() {
    return (mode & S_IFMT) == S_IFREG;
  }

  public boolean isSymlink() {
    return (mode & S_IFMT) == S_IFLNK;
  }

  public InodeAttrs withSize(long newSize) {
    return new InodeAttrs(ino, mode, nlink, uid, gid, rdev, newSize, atimeNs, mtimeNs, ctimeNs,
        symlinkTarget);
  }

  public InodeAttrs withMode(int newMode) {
    return new InodeAttrs(ino, newMode, nlink, uid, gid, rdev, size, atimeNs, mtimeNs, ctimeNs,
        symlinkTarget);
  }

  public InodeAttrs withNlink(int newNlink) {
    return new InodeAttrs(ino, mode, newNlink, uid, gid, rdev, size, atimeNs, mtimeNs, ctimeNs,
        symlinkTarget);
  }

  public InodeAttrs withOwner(int newUid, int newGid) {
    return new InodeAttrs(ino, mode, nlink, newUid, newGid, rdev, size, atimeNs, mtimeNs, ctimeNs,
        symlinkTarget);
  }

  public InodeAttrs withTimes(long newAtimeNs, long newMtimeNs, long newCtimeNs) {
    return new InodeAttrs(ino, mode, nlink, uid, gid, rdev, size, newAtimeNs, newMtimeNs,
        newCtimeNs, symlinkTarget);
  }

  public void writeTo(WireWriter w) {
    w.i64(ino).i32(mode).i32(nlink).i32(uid).i32(gid).i64(rdev).i64(size)
        .i64(atimeNs).i64(mtimeNs).i64(ctimeNs).string(symlinkTarget);
  }

  public static InodeAttrs readFrom(WireReader r) {
    return new InodeAttrs(r.nonNegative("ino"), r.i32("mode"), r.i32("nlink"), r.i32("uid"),
        r.i32("gid"), r.i64("rdev"), r.nonNegative("size"), r.i64("atimeNs"), r.i64("mtimeNs"),
        r.i64("ctimeNs"), r.string("symlinkTarget", SYMLINK_TARGET_BYTES_MAX));
  }

  public byte[] encode() {
    WireWriter w = new WireWriter(80);
    writeTo(w);
    return w.toByteArray();
  }

  public static InodeAttrs decode(byte[] body) {
    WireReader r = new WireReader(body);
    InodeAttrs attrs = readFrom(r);
    r.expectEnd("InodeAttrs");
    return attrs;
  }
}
