"""Per-stage wall time and item counts of a run, summed over its batches (run logs and the scale benchmark)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import perf_counter

#: The stages in pipeline order (a timer may hold others too).
STAGES = ("ingest", "text", "lookup", "encoder", "heads", "link", "store", "report")


@dataclass
class StageTimer:
    """Seconds spent and items handled per stage. Timers from several batches or workers add up with ``merge``.

    Under a Dask runner the model stages' seconds are worker seconds (summed over workers), not wall time.
    """

    seconds: dict[str, float] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)

    def add(self, stage: str, seconds: float, items: int = 0) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.items[stage] = self.items.get(stage, 0) + items

    @contextmanager
    def stage(self, name: str, items: int = 0) -> Iterator[None]:
        t0 = perf_counter()
        try:
            yield
        finally:
            self.add(name, perf_counter() - t0, items)

    def iterate(self, items: Iterable, stage: str) -> Iterator:
        """Yield from ``items``, counting the time spent producing them (a streamed stage such as ingest)."""
        it = iter(items)
        while True:
            t0 = perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.add(stage, perf_counter() - t0)
                return
            self.add(stage, perf_counter() - t0)
            yield item

    def merge(self, other: StageTimer) -> StageTimer:
        for k, s in other.seconds.items():
            self.add(k, s, other.items.get(k, 0))
        return self

    def as_dict(self) -> dict[str, dict[str, float]]:
        order = [s for s in STAGES if s in self.seconds] + [s for s in self.seconds if s not in STAGES]
        return {s: {"seconds": round(self.seconds[s], 3), "items": self.items.get(s, 0)} for s in order}
