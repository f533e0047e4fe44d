"""A progress bar on stderr for the long command-line jobs (ingesting a batch, the ingest benchmark)."""

from __future__ import annotations

import sys


def progress_bar(label: str, quiet: bool):
    """A progress(done, total) callback drawing a bar on stderr (none when quiet)."""
    if quiet:
        return None
    from tqdm import tqdm

    state: dict = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, desc=label, unit="file", file=sys.stderr)
        bar = state["bar"]
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return progress
