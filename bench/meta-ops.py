#!/usr/bin/env python3
"""Metadata operations on one directory tree: create+small write+close, stat, readdir, unlink.

Usage: meta-ops.py DIR FILES
Prints one line per phase: "<phase> <files> <seconds per pass> <ops/s>"; stat and readdir
are averaged over several passes. The same interpreter and the
same code run on every filesystem compared, so per-call overhead cancels out in the ratios.
Files go 1000 to a directory (like a source tree), so readdir sees realistic directories.
"""
import os
import sys
import time

FILES_PER_DIR = 1000
PAYLOAD = b"x" * 100  # a "small write": one partial block
# One pass of stat or readdir over 20,000 files lasts only tens of milliseconds, short enough
# for a scheduling hiccup on a shared machine to halve its rate; several passes even that out.
STAT_PASSES = 3
READDIR_PASSES = 10


def paths(root, n):
    for i in range(n):
        yield os.path.join(root, "d%03d" % (i // FILES_PER_DIR), "f%06d" % i)


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    for d in range((n + FILES_PER_DIR - 1) // FILES_PER_DIR):
        os.makedirs(os.path.join(root, "d%03d" % d), exist_ok=True)
    phases = []

    t = time.perf_counter()
    for p in paths(root, n):
        fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        os.write(fd, PAYLOAD)
        os.close(fd)
    phases.append(("create+write+close", time.perf_counter() - t))

    t = time.perf_counter()
    for _ in range(STAT_PASSES):
        for p in paths(root, n):
            os.stat(p)
    phases.append(("stat", (time.perf_counter() - t) / STAT_PASSES))

    t = time.perf_counter()
    for _ in range(READDIR_PASSES):
        seen = 0
        for d in sorted(os.listdir(root)):
            with os.scandir(os.path.join(root, d)) as it:
                for _ in it:
                    seen += 1
        assert seen == n, (seen, n)
    phases.append(("readdir", (time.perf_counter() - t) / READDIR_PASSES))

    t = time.perf_counter()
    for p in paths(root, n):
        os.unlink(p)
    phases.append(("unlink", time.perf_counter() - t))

    for name, secs in phases:
        print("%s %d %.3f %.0f" % (name, n, secs, n / secs))


if __name__ == "__main__":
    main()
