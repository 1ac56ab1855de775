"""Checking many files on all cores: one process per core, each checking whole files.

The function that checks one file is handed in (``check_one``, the engine's ``check_file``), so
this module does not import the engine that calls it.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, Optional, Sequence, Tuple, TypeVar

from bplint.checks import ALL_CHECKS, Check
from bplint.config import Config

Outcome = TypeVar("Outcome")

# Below this many files per process, starting the processes costs more than it saves.
FILES_PER_PROCESS = 4


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_files(check_one: Callable[..., Outcome], paths: Sequence[str], config: Config,
                checks: Sequence[Check] = ALL_CHECKS, jobs: int = 1,
                progress: Optional[Callable[[int], None]] = None
                ) -> Iterator[Tuple[str, Outcome]]:
    """(path, ``check_one(path, config, checks)``) for every file, in the order given; in
    ``jobs`` processes when there are enough files (``check_one`` must then be a module-level
    function, as processes receive it by name). ``progress`` is called with the number of files
    just finished."""
    workers = min(jobs, len(paths) // FILES_PER_PROCESS)
    if workers <= 1 or checks is not ALL_CHECKS:  # custom checks stay in this process
        for path in paths:
            yield path, check_one(path, config, checks)
            if progress:
                progress(1)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when processes are used: slow to import

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(16, len(paths) // (workers * 8)))
        for path, outcome in zip(paths, pool.map(check_one, paths, [config] * len(paths),
                                                 chunksize=chunk)):
            yield path, outcome
            if progress:
                progress(1)
