"""Where the cores went during a bench phase: CPU seconds of AuthGate's
threads (split by niceness, so the niced key-derivation threads show apart
from the workers) and its KDF helper processes, nginx, PostgreSQL and wrk,
read from /proc and getrusage."""
import os
import resource
import time

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(path):
    """The fields of a /proc stat file after the command name, or None once the task is gone."""
    try:
        with open(path) as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def _cpu_seconds(fields):
    # utime and stime are stat fields 14 and 15; fields here start at field 3.
    return (int(fields[11]) + int(fields[12])) / TICKS


def _process_and_children(pid):
    """CPU seconds of `pid` and its direct children (nginx's workers,
    PostgreSQL's backends): every thread, living or exited."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(f"/proc/{entry}/stat")
        if fields and (int(entry) == pid or int(fields[1]) == pid):
            total += _cpu_seconds(fields)
    return total


def _children_by_pid(pid):
    """CPU seconds of each living direct child of `pid` (AuthGate's KDF
    helpers, which end after 10 s idle), by pid."""
    seconds = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(f"/proc/{entry}/stat")
            if fields and int(fields[1]) == pid:
                seconds[int(entry)] = _cpu_seconds(fields)
    return seconds


def _used(before, after):
    """CPU seconds used between two readings; for children by pid, one that
    ended meanwhile counts what it had used when last seen."""
    if isinstance(before, dict):
        return sum(after.get(pid, used) - used for pid, used in before.items()) + sum(
            used for pid, used in after.items() if pid not in before)
    return after - before


def _threads_by_nice(pid):
    """CPU seconds of each living thread of `pid`, summed by niceness."""
    totals = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return totals
    for tid in tids:
        fields = _stat_fields(f"/proc/{pid}/task/{tid}/stat")
        if fields:
            nice = int(fields[16])  # stat field 19
            totals[nice] = totals.get(nice, 0.0) + _cpu_seconds(fields)
    return totals


class CpuMeter:
    """`start()` then `stop()` around a phase; `cores` maps each part to
    the cores it used on average over that phase."""

    def __init__(self, authgate_pid, nginx_pid, postgres_pid):
        self.pids = (authgate_pid, nginx_pid, postgres_pid)

    def _snapshot(self):
        authgate, nginx, postgres = self.pids
        by_nice = _threads_by_nice(authgate)
        return {
            "AuthGate workers": sum(s for n, s in by_nice.items() if n <= 0),
            "AuthGate KDF threads (niced)": sum(s for n, s in by_nice.items() if n > 0),
            "AuthGate KDF helpers": _children_by_pid(authgate),
            "nginx": _process_and_children(nginx),
            "PostgreSQL": _process_and_children(postgres),
            # wrk runs as a child that has been waited for by the end of the phase.
            "wrk": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
        }

    def start(self):
        self._before = self._snapshot()
        self._started = time.monotonic()
        return self

    def stop(self):
        wall = time.monotonic() - self._started
        after = self._snapshot()
        self.cores = {name: _used(self._before[name], after[name]) / wall for name in after}
        self.wall = wall
        return self
