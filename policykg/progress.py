"""Progress on stderr (tqdm) for the stages of a command: each bar appears only when its stage
has taken more than a second, so small jobs stay quiet; nothing is shown when stderr is not a
terminal unless asked for."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

T = TypeVar("T")
SHOW_AFTER_S = 1.0
StageFactory = Callable[[str], AbstractContextManager[Any]]


def no_stage(_name: str) -> AbstractContextManager[Any]:
    return nullcontext()


class Progress:
    """`with progress.stage("graph"): …`, `progress.items(docs, total, "extracting", "doc")`,
    `progress.batches("loading")` (a callback for the loaders' (done, total, kind) reports)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def _bar(self, **kwargs: Any) -> Any:
        from tqdm import tqdm

        return tqdm(file=sys.stderr, delay=SHOW_AFTER_S, dynamic_ncols=True, **kwargs)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        bar = self._bar(total=1, desc=name, bar_format="{desc}: {elapsed}{postfix}")
        try:
            yield
            bar.update(1)
        finally:
            bar.close()

    def items(self, items: Iterable[T], total: int | None, desc: str, unit: str) -> Iterable[T]:
        if not self.enabled:
            return items
        return self._bar(iterable=items, total=total, desc=desc, unit=unit)

    def batches(self, desc: str) -> Callable[[int, int, str], None] | None:
        if not self.enabled:
            return None
        state: dict[str, Any] = {}

        def report(done: int, total: int, kind: str) -> None:
            bar = state.get("bar")
            if bar is None:
                bar = state["bar"] = self._bar(total=total, desc=desc, unit="batch")
            bar.set_postfix_str(kind, refresh=False)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        return report
