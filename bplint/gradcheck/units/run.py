"""In the gradcheck subprocess: run each unit of a program whose definitions are loaded.

Each unit has its own time limit: a slow one is ``skipped`` and the others still run.
"""

from __future__ import annotations

import signal
from typing import Dict, List


class _TimeUp(BaseException):
    """Raised in the user's code when a unit's time is up (a BaseException: ``except
    Exception`` in the user's code does not swallow it)."""


def _on_alarm(signum, frame):
    raise _TimeUp()


def run_units(namespace: Dict[str, object], path: str, units: List[dict],
              seconds: float) -> List[dict]:
    from bplint.gradcheck.units.probe import SKIPPED, Probe

    if not units:
        return []
    probe = Probe(namespace, path)
    results = []
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for unit in units:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                results.append(probe.run(unit))
            except _TimeUp:
                results.append({"unit": unit["unit"], "kind": unit["kind"], "verdict": SKIPPED,
                                "parameters": [], "line": None, "timed_out": True,
                                "message": f"took longer than {seconds:g} s (raise the limit "
                                           "with --timeout)"})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return results
