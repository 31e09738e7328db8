"""Verification of a long audit log in parallel processes: ranges of seq walked apart, joined.

The MAC of each event covers its own stored `prev_mac`, so events can be checked in any order;
only the links between them need their neighbours. Each range (seq after `low`, up to `high`)
is read and walked by a worker process on a database connection of its own
(verify.walk_events: gaps, links and MACs inside the range); verify.join_walks then checks
each range's first event against the last event before it, exactly where the sequential walk
would. The report is the sequential one: the same problems at the same seqs, the same MACs at
the signed checkpoints (which verify_log then checks, with the anchors and the evidence).

Ranges are equal slices of seq up to the highest seq present when the run starts; events
appended during the run are left for the next one. Worker processes are spawned (never
forked: a forked child would share the parent's database connections). The calling process
is one of the workers: it walks ranges from the end, on its own connection, while the spawned
ones start (importing the app takes them about a second) and take ranges from the front.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from casemgr.audit.models import AuditEvent
from casemgr.audit.verify import BATCH_SIZE, Walk, iter_chain, walk_events

# Below this many events one process is faster: starting workers costs about a second.
MIN_EVENTS = 200_000
RANGES_PER_WORKER = 8  # smaller ranges even out the workers' loads


def worker_count(configured: int | None = None) -> int:
    """Processes to use, the calling one included: the setting, else one per CPU (at least
    one)."""
    return max(1, configured if configured else (os.cpu_count() or 1))


def walk_range(
    url: str, mac_key: bytes, low: int, high: int, wanted: set[int], batch_size: int
) -> Walk:
    """Walk the events with low < seq <= high (in a worker process, on its own connection)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return walk_events(iter_chain(conn, low, batch_size, until_seq=high), mac_key, wanted)
    finally:
        engine.dispose()


def parallel_segments(
    conn: sa.Connection,
    mac_key: bytes,
    workers: int,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    min_events: int = MIN_EVENTS,
) -> Callable[[int, set[int]], Iterator[Walk]] | None:
    """The `segments` argument of verify_log for this connection's database, or None when one
    process will do (one worker, a short log, or a database other processes cannot open)."""
    url = conn.engine.url
    if workers < 2 or (
        url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    ):
        return None
    high = conn.execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0
    low = conn.execute(sa.select(sa.func.min(AuditEvent.seq))).scalar() or 0
    if high - low < min_events:
        return None
    address = url.render_as_string(hide_password=False)

    def segments(start_seq: int, wanted: set[int]) -> Iterator[Walk]:
        count = workers * RANGES_PER_WORKER
        step = max(1, -(-(high - start_seq) // count))
        bounds = [(lo, min(lo + step, high)) for lo in range(start_seq, high, step)]
        walks: list[Walk | None] = [None] * len(bounds)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
            futures = [
                pool.submit(walk_range, address, mac_key, lo, hi, wanted, batch_size)
                for lo, hi in bounds
            ]
            # This process is a worker too: while the others start (a second each), and
            # until they catch up, it takes the ranges from the end that none has begun.
            for index in reversed(range(len(bounds))):
                if not futures[index].cancel():
                    break  # begun: so are all before it (the pool hands them out in order)
                lo, hi = bounds[index]
                events = iter_chain(conn, lo, batch_size, until_seq=hi)
                walks[index] = walk_events(events, mac_key, wanted, progress=progress)
            for index, future in enumerate(futures):  # in seq order: the join needs them so
                found = walks[index]
                if found is None:
                    found = future.result()
                    if progress is not None:
                        progress(found.events)
                yield found
        # Events beyond `high` (appended meanwhile) are not this run's: the last range ends
        # there, and the checkpoints and evidence were read before it was taken.

    return segments
