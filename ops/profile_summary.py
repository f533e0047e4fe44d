r"""Top functions of a py-spy profile, as a few lines of text a reviewer can read in a diff.

Why it exists: issue 19 asks for before/after profiles of the gateway, Rasa and the action
server under `make bench` load. py-spy's flame graphs are megabytes of SVG; what a change
needs to show is which functions took the samples, before and after. This reads py-spy's
`--format raw` output (collapsed stacks: `frame;frame;... count`) and lists the functions
with the largest share of samples, counting a function once per sample however often it
recurs in the stack ("total", own + children) and apart from that the samples it was the
innermost frame of ("own").

    py-spy record --pid PID --format raw --output rasa.txt --duration 30 --nonblocking
    .venv/bin/python -m ops.profile_summary rasa.txt --top 15 --title "rasa, 16 users" \
        --part "saving the tracker=^save_tracker " --part "aiohttp=aiohttp/"

A `--part NAME=REGEX` adds the share of samples with any frame (named as in the tables)
matching REGEX: one step of a turn (everything under Rasa's `save_tracker`) or one kind of
work (any frame under `aiohttp/`), which the top-function tables spread over many lines.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")
# Where a library lives says nothing: site-packages/rasa/core/x.py reads as rasa/core/x.py.
_PREFIX = re.compile(r"^.*/(?:site-packages|lib/python3\.\d+)/")


def frame_name(frame: str) -> str:
    """`func (path:line)` as `func (short/path)`: one name for every line of a function."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['func']} ({_PREFIX.sub('', match['file'])})"


def summarize(lines: list[str]) -> tuple[int, Counter, Counter]:
    """(samples, total per function, own per function) from collapsed stacks."""
    samples, total, own = 0, Counter(), Counter()
    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if not match:
            continue
        count = int(match["count"])
        frames = [frame_name(f) for f in match["stack"].split(";") if f]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    return samples, total, own


def part_shares(lines: list[str], parts: dict[str, str]) -> dict[str, float]:
    """For each part, the share of samples whose stack has a frame matching its regex."""
    patterns = {name: re.compile(regex) for name, regex in parts.items()}
    samples, hits = 0, Counter()
    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if not match:
            continue
        frames = [frame_name(f) for f in match["stack"].split(";") if f]
        if not frames:
            continue
        samples += int(match["count"])
        for name, pattern in patterns.items():
            if any(pattern.search(f) for f in frames):
                hits[name] += int(match["count"])
    return {name: hits[name] / samples if samples else 0.0 for name in parts}


def report(lines: list[str], top: int = 15, title: str = "", parts: dict[str, str] | None = None) -> str:
    samples, total, own = summarize(lines)
    out = [f"# {title}" if title else "#", f"# {samples} samples; share of samples, total (own + children) and own"]
    out.append(f"{'total':>6} {'own':>6}  function")
    for name, count in total.most_common(top):
        out.append(f"{100 * count / samples:5.1f}% {100 * own[name] / samples:5.1f}%  {name}")
    out.append(f"# top {top} by own time")
    for name, count in own.most_common(top):
        out.append(f"{100 * total[name] / samples:5.1f}% {100 * count / samples:5.1f}%  {name}")
    if parts:
        out.append("# parts: share of samples with a frame matching")
        for name, share in part_shares(lines, parts).items():
            out.append(f"{100 * share:5.1f}%         {name}  /{parts[name]}/")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.profile_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", nargs="+", help="py-spy --format raw output files (summed)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--title", default="")
    parser.add_argument(
        "--part", action="append", default=[], metavar="NAME=REGEX", help="share of samples with a frame matching REGEX"
    )
    args = parser.parse_args(argv)
    if any("=" not in part for part in args.part):
        parser.error("--part takes NAME=REGEX")
    parts = dict(part.split("=", 1) for part in args.part)
    lines = [line for path in args.raw for line in Path(path).read_text(errors="replace").splitlines()]
    if not any(_LINE.match(line) for line in lines):
        print("no samples in the given files", file=sys.stderr)
        return 1
    sys.stdout.write(report(lines, args.top, args.title, parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
