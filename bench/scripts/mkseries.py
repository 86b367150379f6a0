#!/usr/bin/env python3
"""Make the next version of a source tree: copy SRC to DST, then change PERCENT% of its
regular files (deterministic, seeded): half of them get a small in-place edit (16 bytes
overwritten at a random offset, size unchanged), the other half a small insertion
(64 bytes inserted at a random offset, which shifts the rest of the file).
usage: mkseries.py SRC DST SEED [PERCENT]   (PERCENT default 1)
"""
import os
import random
import shutil
import sys


def main(src, dst, seed, percent):
    shutil.copytree(src, dst, symlinks=True)
    files = []
    for dirpath, dirnames, filenames in os.walk(dst):
        dirnames.sort()
        for n in sorted(filenames):
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) > 0:
                files.append(p)
    rnd = random.Random(seed)
    k = max(2, round(len(files) * percent / 100.0))
    chosen = rnd.sample(files, min(k, len(files)))
    for i, p in enumerate(chosen):
        with open(p, 'rb') as f:
            data = f.read()
        off = rnd.randrange(len(data))
        tag = ('dvs-bench edit seed=%d file=%d ' % (seed, i)).encode()
        if i % 2 == 0:   # in-place edit, same size
            patch = (tag * 4)[:16]
            data = data[:off] + patch[: len(data) - off] + data[off + 16:]
        else:            # insertion
            data = data[:off] + (tag * 4)[:64] + data[off:]
        with open(p, 'wb') as f:
            f.write(data)
    print('%s: %d of %d files changed' % (dst, len(chosen), len(files)))


if __name__ == '__main__':
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 1.0)
