"""Clocks: the real one, and one that tests and rehearsals set and move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


class RehearsalClock:
    """Real time flowing from a chosen start, which can be fast-forwarded (demo rehearsals)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("RehearsalClock needs an aware datetime")
        self._start = start.astimezone(UTC)
        self._origin = datetime.now(UTC)
        self._skipped = timedelta(0)

    def now(self) -> datetime:
        return self._start + (datetime.now(UTC) - self._origin) + self._skipped

    def advance(self, delta: timedelta) -> None:
        self._skipped += delta
