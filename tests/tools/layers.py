#!/usr/bin/env python3
"""The layers of daemon/, checked.

    layers.py SRCDIR [LIBRARY]

SRCDIR is a daemon/ tree: lib -> core -> proxy | gate | calls | report ->
engine -> face -> memdiag.c. Every #include "..." of ours names its folder;
a file includes its own folder and the layers to its left, never one to its
right nor a neighbour of its own rank, and no two modules include each other
(a module is a file's name less .c, .h and _priv). With LIBRARY (the built
libmemdiag.a), the same holds for the symbols each object uses: nothing
below calls up. Prints one line per fault and exits 1 on any.
"""
import os
import re
import subprocess
import sys

RANK = {"lib": 0, "core": 1, "proxy": 2, "gate": 2, "calls": 2, "report": 2,
        "engine": 3, "face": 4, "": 5}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder(path):
    d = os.path.dirname(path)
    return d


def may_use(user, used):
    """May a file in folder `user` depend on one in folder `used`?"""
    return used == user or RANK[used] < RANK[user]


def module(path):
    stem = os.path.splitext(path)[0]
    return stem[:-5] if stem.endswith("_priv") else stem


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: layers.py SRCDIR [LIBRARY]")
    src = sys.argv[1]
    faults = []
    files = []
    for root, _, names in os.walk(src):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(root, n), src))
    for f in files:
        if folder(f) not in RANK:
            faults.append("%s: not in a layer (%s)" % (f, " ".join(
                k for k in RANK if k)))
    edges = {}
    for f in files:
        if folder(f) not in RANK:
            continue
        with open(os.path.join(src, f), encoding="utf-8") as fp:
            for no, line in enumerate(fp, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                where = "%s:%d" % (f, no)
                if "/" not in inc:
                    faults.append('%s: #include "%s" names no folder' %
                                  (where, inc))
                    continue
                if not os.path.exists(os.path.join(src, inc)):
                    faults.append('%s: #include "%s": no such file' %
                                  (where, inc))
                    continue
                if folder(inc) not in RANK:
                    continue
                if not may_use(folder(f), folder(inc)):
                    faults.append('%s: #include "%s" points %s (%s -> %s)' %
                                  (where, inc, "up" if RANK[folder(inc)] >
                                   RANK[folder(f)] else "sideways",
                                   folder(f) or "memdiag.c", folder(inc)))
                a, b = module(f), module(inc)
                if a != b:
                    edges.setdefault(a, set()).add(b)
    # module cycles (two modules that include each other, or longer loops)
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                loop = stack[stack.index(n):] + [n]
                faults.append("include cycle: %s" % " -> ".join(loop))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    if len(sys.argv) == 3:
        faults += symbols(src, files, sys.argv[2])
    for line in faults:
        print(line)
    return 1 if faults else 0


def symbols(src, files, library):
    """Objects in the archive by their source's folder; who defines what."""
    where = {}
    for f in files:
        if f.endswith(".c"):
            where[os.path.splitext(os.path.basename(f))[0]] = folder(f)
    out = subprocess.run(["nm", "-A", "--defined-only", "-g", library],
                         capture_output=True, text=True, check=True).stdout
    defs = {}
    for obj, rest in members(out):
        parts = rest.split()
        if len(parts) == 3:
            defs[parts[2]] = obj_source(obj)
    out = subprocess.run(["nm", "-A", "--undefined-only", library],
                         capture_output=True, text=True, check=True).stdout
    faults = []
    for obj, rest in members(out):
        sym = rest.split()[-1] if rest.split() else ""
        user, owner = obj_source(obj), defs.get(sym)
        if owner is None or user not in where or owner not in where:
            continue
        if not may_use(where[user], where[owner]):
            faults.append("%s.c (%s) uses %s from %s.c (%s)" % (
                user, where[user], sym, owner, where[owner]))
    return sorted(set(faults))


def members(out):
    """nm -A lines, "ARCHIVE.a:MEMBER.o: ..." or without the space."""
    for line in out.splitlines():
        m = re.match(r"^.*?\.a:([^:]+\.o):\s*(.*)$", line)
        if m:
            yield m.group(1), m.group(2)


def obj_source(obj):
    """daemon_libmemdiag_a-diag.o -> diag"""
    name = os.path.splitext(obj)[0]
    return name.split("-", 1)[1] if "-" in name else name


if __name__ == "__main__":
    sys.exit(main())
