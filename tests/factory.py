"""Realistic synthetic schedules for tests and benchmarks, the same for the same seed."""

from __future__ import annotations

import datetime as dt
import json
import random

ZONES = ("Europe/Berlin", "America/Chicago", "Asia/Kolkata", "Australia/Adelaide", "America/Sao_Paulo")
KINDS = ("talk", "invited-talk", "contributed-talk", "keynote", "panel", "poster-session", "break", "tutorial")
WORDS = (
    "scalable training memory efficient inference sparse attention Übersetzung données réseau "
    "naïve façade Zürich São Paulo 東京 데이터 модель שלום مرحبا emoji 🎥 🚀 graph kernel compiler "
    "distributed pipeline; commas, semicolons; back\\slash quantization benchmark"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def make_schedule(count: int, *, seed: int = 1, zones: tuple[str, ...] = ZONES, days: int = 4) -> str:
    """YAML text of a conference with ``count`` events over ``days`` days, rooms, tracks and zones."""
    rng = random.Random(seed)
    first = dt.date(2024, 3, 29)  # the days around the European DST change
    lines = [
        "name: Synthetic Conference 2024",
        "url: https://conf.example.org/schedule",
        "timezone: Europe/Berlin",
        "stream_url: https://stream.example.org/live",
        "location: Hall A",
        "updated: 2024-03-01T12:00:00Z",
        "events:",
    ]
    for index in range(count):
        day = first + dt.timedelta(days=index % days)
        start = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(minutes=5 * rng.randrange(0, 140))
        end = start + dt.timedelta(minutes=rng.choice((15, 20, 30, 45, 60, 90)))
        event = {
            "id": f"e{index:06d}",
            "title": _text(rng, rng.randrange(3, 12)),
            "kind": rng.choice(KINDS),
            "date": day.isoformat(),
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "timezone": rng.choice(zones),
            "location": f"Room {rng.randrange(1, 40)}",
            "track": f"Track {rng.randrange(1, 12)}",
            "speakers": [{"name": _text(rng, 2), "affiliation": _text(rng, 2)} for _ in range(rng.randrange(0, 4))],
            "abstract": _text(rng, 80),
            "streamed": rng.random() < 0.5,
            "slides": [f"https://slides.example.org/{index}.pdf"] if rng.random() < 0.3 else [],
            "links": [{"title": "Paper", "url": f"https://papers.example.org/{index}"}],
        }
        if end.date() != day:
            event["end_date"] = end.date().isoformat()
        lines.append("  - " + json.dumps(event, ensure_ascii=False))
    return "\n".join(lines) + "\n"


__all__ = ["make_schedule"]
