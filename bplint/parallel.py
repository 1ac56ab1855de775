"""Checking many files on all cores: one process per core, each checking whole files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Sequence, Tuple

from bplint.checks import ALL_CHECKS, Check
from bplint.config import Config

if TYPE_CHECKING:
    from bplint.engine import FileOutcome

# Below this many files per process, starting the processes costs more than it saves.
FILES_PER_PROCESS = 4


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_files(paths: Sequence[str], config: Config, checks: Sequence[Check] = ALL_CHECKS,
                jobs: int = 1, progress: Optional[Callable[[int], None]] = None
                ) -> Iterator[Tuple[str, "FileOutcome"]]:
    """(path, outcome) for every file, in the order given. ``progress`` is called with the
    number of files just finished."""
    from bplint.engine import check_file

    workers = min(jobs, len(paths) // FILES_PER_PROCESS)
    if workers <= 1 or checks is not ALL_CHECKS:  # custom checks stay in this process
        for path in paths:
            yield path, check_file(path, config, checks)
            if progress:
                progress(1)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when processes are used: slow to import

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(16, len(paths) // (workers * 8)))
        for path, outcome in zip(paths, pool.map(_check, paths, [config] * len(paths), chunksize=chunk)):
            yield path, outcome
            if progress:
                progress(1)


def _check(path: str, config: Config):
    from bplint.engine import check_file

    return check_file(path, config)
