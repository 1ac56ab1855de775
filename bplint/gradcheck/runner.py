"""Run the worker in a subprocess with a time limit; the parent never imports NumPy.

The worker is started first, so that it imports NumPy while this process plans the check; the
plan is then sent on its stdin. The time limit counts from the start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Optional


class RunError(Exception):
    """The worker did not answer: a timeout or a crash; the message says which."""


class Worker:
    def __init__(self, timeout: float) -> None:
        env = dict(os.environ)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")  # tiny matrices: threads only cost start-up time
        self.timeout = timeout
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bplint.gradcheck.worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()

    def run(self, request: dict) -> dict:
        left = max(self.timeout - (time.monotonic() - self.started), 0.01)
        try:
            stdout, stderr = self.process.communicate(json.dumps(request), timeout=left)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise RunError(f"timed out after {self.timeout:g} s (raise the limit with --timeout)") \
                from None
        answer: Optional[dict] = None
        try:
            answer = json.loads(stdout) if stdout.strip() else None
        except json.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            lines = [line for line in stderr.splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else f"exit status {self.process.returncode}"
            raise RunError(f"the check process failed: {reason}")
        return answer
