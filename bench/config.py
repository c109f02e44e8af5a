"""The sizes of each benchmark configuration: smoke, small and large."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    """One configuration; bench/run picks it with --size."""

    name: str
    # Seconds the fakes add to every response but getUpdates, as a network round trip.
    latency_seconds: float
    # Cycles measured at each size, after one cycle of warm-up.
    repeats: int
    # Measure 1: open watches polled, and the largest size the naive baseline runs at.
    poll_sizes: tuple[int, ...]
    naive_max_size: int
    naive_repeats: int
    # Measure 2: background watches, tasks finishing, the window they finish in, the interval.
    latency_background: int
    latency_tasks: int
    latency_window_seconds: float
    latency_poll_interval_seconds: float
    # Measure 3: tasks finishing together and the chats that watch them.
    burst_tasks: int
    burst_chats: int
    # Measure 4: commands sent of each kind, and the ids in one /batch.
    command_repeats: int
    batch_ids: int
    # Measure 5: watches stored when the fresh bot process runs one cycle.
    memory_watches: int
    # Measure 6: /watch commands sent at once, in as many chats, and the ids in each.
    watch_commands: int
    watch_ids: int


CONFIGS = {
    config.name: config
    for config in (
        Config(
            name="smoke",
            latency_seconds=0.002,
            repeats=1,
            poll_sizes=(100, 1_000),
            naive_max_size=100,
            naive_repeats=1,
            latency_background=100,
            latency_tasks=4,
            latency_window_seconds=0.5,
            latency_poll_interval_seconds=0.5,
            burst_tasks=31,
            burst_chats=4,
            command_repeats=1,
            batch_ids=50,
            memory_watches=1_000,
            watch_commands=10,
            watch_ids=10,
        ),
        Config(
            name="small",
            latency_seconds=0.01,
            repeats=3,
            poll_sizes=(100, 1_000, 10_000),
            naive_max_size=100,
            naive_repeats=1,
            latency_background=1_000,
            latency_tasks=30,
            latency_window_seconds=8.0,
            latency_poll_interval_seconds=5.0,
            burst_tasks=200,
            burst_chats=20,
            command_repeats=10,
            batch_ids=50,
            memory_watches=100_000,
            watch_commands=100,
            watch_ids=10,
        ),
        Config(
            name="large",
            latency_seconds=0.05,
            repeats=5,
            poll_sizes=(100, 1_000, 10_000, 100_000),
            naive_max_size=1_000,
            naive_repeats=1,
            latency_background=10_000,
            latency_tasks=100,
            latency_window_seconds=30.0,
            latency_poll_interval_seconds=5.0,
            burst_tasks=1_000,
            burst_chats=100,
            command_repeats=50,
            batch_ids=50,
            memory_watches=100_000,
            watch_commands=500,
            watch_ids=10,
        ),
    )
}
