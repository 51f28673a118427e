"""CPU used by whole process trees, read from /proc (Linux): what each side of a benchmark
costs, a figure that moves far less with a shared machine's load than rates do."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds() -> tuple[dict[int, float], dict[int, int]]:
    """User+system CPU seconds and parent of every process (from /proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu: dict[int, float] = {}
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: split after its last ")".
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    return cpu, parent


def process_tree(root: int, parent: dict[int, int]) -> set[int]:
    """`root` and every process descended from it."""
    found, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found
