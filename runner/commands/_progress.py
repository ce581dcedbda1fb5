"""The progress bar of long fleet applies (rich, on stderr): terminal UI, so it lives here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

PROGRESS_THRESHOLD = 100  # changes; fewer finish too fast for a bar to help


@contextlib.contextmanager
def progress_bar(total: int, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for `apply_recordings(progress=...)`.

    Yields None (no bar) unless `enabled` (the command passes "stderr is a TTY") and there are
    more than `PROGRESS_THRESHOLD` changes.
    """
    if not enabled or total <= PROGRESS_THRESHOLD:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("recordings", total=total)

        def advance(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield advance


