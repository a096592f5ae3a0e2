"""Write a synthetic schedule of N events: ``python bench/generate.py N OUT.yaml [--seed S]``.

A thin wrapper around the project's own generator, ``make_schedule`` in
``tests/factory.py`` (rooms, tracks, speakers, ~600-character abstracts with
non-ASCII text, links, five time zones), so the benchmark measures the same
kind of schedule the tests use. Nothing is moved or copied out of ``tests/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# tests/ is not a package that calfeed installs: put the repository's tests/ folder
# on sys.path so that ``factory`` (tests/factory.py) can be imported from here.
sys.path.insert(0, str(ROOT / "tests"))

from factory import ZONES, make_schedule


def generate(count: int, out: str | Path, *, seed: int = 1, days: int = 4) -> Path:
    """Write a schedule of ``count`` events to ``out`` and return its path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_schedule(count, seed=seed, zones=ZONES, days=days), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of events")
    parser.add_argument("out", help="the YAML file to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same file)")
    parser.add_argument("--days", type=int, default=4, help="conference days (default 4)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    path = generate(args.count, args.out, seed=args.seed, days=args.days)
    print(f"{path}: {args.count} events, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
