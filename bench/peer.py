"""peer.py -- the CPython contenders of bench/bench.tcl: Python's mmap module
on the same files, the same offsets and the same needle.

    python3 peer.py whole FILE REPS             open, map, read() it all, close
    python3 peer.py random FILE OFFSETS REPS    seek+read(64) at each offset
    python3 peer.py slice FILE OFFSETS REPS     m[o:o+64] at each offset
    python3 peer.py readline FILE REPS          open, map, readline() loop
                                                counting lines, close
    python3 peer.py find FILE NEEDLEHEX REPS    find() of the needle
    python3 peer.py grepfind FILE NEEDLEHEX REPS  count the lines holding the
                                                needle with a find() loop
    python3 peer.py grepre FILE NEEDLEHEX REPS  the same with re.finditer

random, slice and find keep one map open for all repetitions and warm it
first, as the Tcl contenders do.  Output: two lines, "MODE cpu T..." and
"MODE wall T...": the seconds of each repetition on this thread's CPU
clock (time.thread_time, which leaves out waiting for a processor, as
bench.tcl measures Tcl) and on the wall clock.
"""

import mmap
import re
import sys
import time


def open_map(path):
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def whole(path):
    m = open_map(path)
    data = m.read()
    m.close()
    return len(data)


def read_offsets(path):
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def random_reads(m, offsets):
    seek, read = m.seek, m.read
    for o in offsets:
        seek(o)
        read(64)


def slices(m, offsets):
    for o in offsets:
        m[o:o + 64]


def readline(path):
    m = open_map(path)
    n = 0
    for _ in iter(m.readline, b""):
        n += 1
    m.close()
    return n


def grep_find(m, needle):
    """Lines holding needle: find it, then go on after its line."""
    find, n, pos = m.find, 0, 0
    while True:
        at = find(needle, pos)
        if at < 0:
            return n
        n += 1
        end = find(b"\n", at + len(needle))
        if end < 0:
            return n
        pos = end + 1


def grep_re(m, needle):
    pattern = re.compile(rb"^.*?" + re.escape(needle) + rb".*$", re.M)
    return sum(1 for _ in pattern.finditer(m))


def timed(reps, fn, *args):
    cpu, wall = [], []
    for _ in range(reps):
        wall_start = time.perf_counter()
        cpu_start = time.thread_time()
        fn(*args)
        cpu.append(time.thread_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return cpu, wall


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    mode, path = argv[1], argv[2]
    reps = int(argv[-1])
    if mode == "whole" and len(argv) == 4:
        times = timed(reps, whole, path)
    elif mode == "readline" and len(argv) == 4:
        times = timed(reps, readline, path)
    elif mode in ("random", "slice") and len(argv) == 5:
        offsets = read_offsets(argv[3])
        m = open_map(path)
        fn = random_reads if mode == "random" else slices
        fn(m, offsets)
        times = timed(reps, fn, m, offsets)
    elif mode in ("grepfind", "grepre") and len(argv) == 5:
        needle = bytes.fromhex(argv[3])
        m = open_map(path)
        fn = grep_find if mode == "grepfind" else grep_re
        fn(m, needle)
        times = timed(reps, fn, m, needle)
    elif mode == "find" and len(argv) == 5:
        needle = bytes.fromhex(argv[3])
        m = open_map(path)
        m.find(needle)
        times = timed(reps, m.find, needle)
    else:
        sys.exit(__doc__)
    for clock, values in zip(("cpu", "wall"), times):
        print(mode, clock, " ".join("%.9f" % t for t in values))


if __name__ == "__main__":
    main(sys.argv)
