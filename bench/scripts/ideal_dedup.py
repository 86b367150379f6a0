#!/usr/bin/env python3
"""Ideal fixed-4 KiB dedup of a directory tree, as dvs stores it.

Hashes every 4 KiB block of every regular file (symlinks are not followed, a hard-linked
file counts once); the last partial block of a file is zero-padded to 4 KiB; all-zero
blocks are holes (dvs does not store them). Prints JSON: logical bytes (sum of file sizes),
blocks, zero blocks, unique non-zero blocks, ideal physical bytes and the ratio.

usage: ideal_dedup.py DIR [DIR...]
"""
import hashlib
import json
import os
import sys

BS = 4096
ZERO = bytes(BS)


def scan(roots):
    seen_inodes = set()
    uniq = set()
    logical = blocks = zero = files = 0
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1:
                    if key in seen_inodes:
                        continue
                    seen_inodes.add(key)
                files += 1
                logical += st.st_size
                with open(p, 'rb') as f:
                    while True:
                        b = f.read(BS)
                        if not b:
                            break
                        if len(b) < BS:
                            b = b + bytes(BS - len(b))
                        blocks += 1
                        if b == ZERO:
                            zero += 1
                            continue
                        uniq.add(hashlib.sha1(b).digest())
    phys = len(uniq) * BS
    return {
        'files': files,
        'logical_bytes': logical,
        'blocks': blocks,
        'zero_blocks': zero,
        'unique_blocks': len(uniq),
        'ideal_physical_bytes': phys,
        'ideal_ratio': (logical / phys) if phys else None,
        'ideal_block_ratio': ((blocks - zero) / len(uniq)) if uniq else None,
    }


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps(scan(sys.argv[1:])))
