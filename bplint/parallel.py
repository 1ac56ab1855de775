"""Checking many programs on all cores: one process per core, each checking whole programs.

The function that checks one program is handed in (``check_one``, the engine's
``check_program``), so this module does not import the engine that calls it.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, Optional, Sequence, Tuple, TypeVar

from bplint.checks import ALL_CHECKS, Check
from bplint.config import Config

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

# Below this many files per process, starting the processes costs more than it saves.
FILES_PER_PROCESS = 4


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_files(check_one: Callable[..., Outcome], items: Sequence[Item], config: Config,
                checks: Sequence[Check] = ALL_CHECKS, jobs: int = 1,
                progress: Optional[Callable[[int], None]] = None,
                size: Callable[[Item], int] = lambda item: 1,
                ) -> Iterator[Tuple[Item, Outcome]]:
    """(item, ``check_one(item, config, checks)``) for every item (a file, or a program of
    ``size(item)`` files), in the order given; in ``jobs`` processes when there are enough files
    (``check_one`` must then be a module-level function, as processes receive it by name).
    ``progress`` is called with the number of files just finished."""
    files = sum(size(item) for item in items)
    workers = min(jobs, files // FILES_PER_PROCESS, len(items))
    if workers <= 1 or checks is not ALL_CHECKS:  # custom checks stay in this process
        for item in items:
            yield item, check_one(item, config, checks)
            if progress:
                progress(size(item))
        return
    from concurrent.futures import ProcessPoolExecutor  # only when processes are used: slow to import

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(16, len(items) // (workers * 8)))
        for item, outcome in zip(items, pool.map(check_one, items, [config] * len(items),
                                                 chunksize=chunk)):
            yield item, outcome
            if progress:
                progress(size(item))
