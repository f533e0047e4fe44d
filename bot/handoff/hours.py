"""Office hours: when investment staff are at their desks (Asia/Shanghai), from configuration.

A handoff outside these hours would wait all night in silence, so the
gateway asks for contact details instead and says when staff will reply.

OFFICE_HOURS   "mon-fri 09:00-17:30" — days and one or more ranges, groups
               separated by ";": "mon-fri 09:00-12:00,13:30-17:30; sat 09:00-12:00".
               Empty: always open (the behaviour before office hours existed).
OFFICE_HOLIDAYS dates (YYYY-MM-DD) separated by commas or spaces, or the path
               of a file with one date per line (# starts a comment).
OFFICE_WORKDAYS extra working dates (China's 调休 weekends), worked with the
               hours of the first configured day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
ZONE = "Asia/Shanghai"


class OfficeHoursError(ValueError):
    """A setting that cannot be read: the app refuses to start rather than guess."""


def _days(spec: str) -> list[int]:
    found: list[int] = []
    for part in spec.lower().split(","):
        part = part.strip()
        if "-" in part:
            first, last = (p.strip() for p in part.split("-", 1))
            if first not in DAYS or last not in DAYS:
                raise OfficeHoursError(f"unknown day in '{part}' (use {', '.join(DAYS)})")
            a, b = DAYS.index(first), DAYS.index(last)
            found += list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
        elif part in DAYS:
            found.append(DAYS.index(part))
        else:
            raise OfficeHoursError(f"unknown day '{part}' (use {', '.join(DAYS)})")
    return found


def _ranges(spec: str) -> list[tuple[time, time]]:
    out = []
    for part in spec.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise OfficeHoursError(f"'{part.strip()}' is not a time range like 09:00-17:30")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise OfficeHoursError(f"'{part.strip()}' is not a valid time range")
        start, end = time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise OfficeHoursError(f"'{part.strip()}' ends before it starts")
        out.append((start, end))
    return sorted(out)


def _dates(raw: str, setting: str) -> frozenset[date]:
    """Dates from a list or, when the value names a file, from that file."""
    raw = (raw or "").strip()
    if raw and not re.fullmatch(r"[\d\-,;\s]+", raw):  # not a list of dates: the name of a file of them
        path = Path(raw)
        try:
            raw = "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        except OSError as exc:
            raise OfficeHoursError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    found = set()
    for token in re.split(r"[\s,;]+", raw):
        if not token:
            continue
        try:
            found.add(date.fromisoformat(token))
        except ValueError:
            raise OfficeHoursError(f"{setting}: '{token}' is not a date like 2026-10-01") from None
    return frozenset(found)


@dataclass(frozen=True)
class OfficeHours:
    # weekday (0 = Monday) -> ranges; empty means always open
    week: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    zone: ZoneInfo = ZoneInfo(ZONE)

    @classmethod
    def parse(cls, hours: str = "", holidays: str = "", workdays: str = "", zone: str = ZONE) -> "OfficeHours":
        week: dict[int, list[tuple[time, time]]] = {}
        for group in (hours or "").split(";"):
            group = group.strip()
            if not group:
                continue
            days, _, ranges = group.partition(" ")
            if not ranges.strip():
                raise OfficeHoursError(f"OFFICE_HOURS: '{group}' needs days and hours, like mon-fri 09:00-17:30")
            for day in _days(days):
                week[day] = sorted(week.get(day, []) + _ranges(ranges.replace(" ", "")))
        return cls(week, _dates(holidays, "OFFICE_HOLIDAYS"), _dates(workdays, "OFFICE_WORKDAYS"), ZoneInfo(zone))

    @classmethod
    def from_config(cls, config) -> "OfficeHours":
        return cls.parse(
            config.get("OFFICE_HOURS", ""),
            config.get("OFFICE_HOLIDAYS", ""),
            config.get("OFFICE_WORKDAYS", ""),
            config.get("DISPLAY_TIMEZONE") or ZONE,
        )

    @property
    def always_open(self) -> bool:
        return not self.week

    def _ranges_on(self, day: date) -> list[tuple[time, time]]:
        if day in self.holidays:
            return []
        if day in self.workdays:
            return self.week[min(self.week)] if self.week else []
        return self.week.get(day.weekday(), [])

    def is_open(self, when: datetime) -> bool:
        if self.always_open:
            return True
        local = when.astimezone(self.zone)
        return any(start <= local.time() < end for start, end in self._ranges_on(local.date()))

    def next_opening(self, when: datetime) -> datetime | None:
        """The next moment staff are in (local time), within the coming year; None if never."""
        if self.always_open:
            return when.astimezone(self.zone)
        local = when.astimezone(self.zone)
        for offset in range(0, 370):
            day = local.date() + timedelta(days=offset)
            for start, end in self._ranges_on(day):
                opening = datetime.combine(day, start, self.zone)
                if offset == 0 and local.time() >= end:
                    continue
                return max(opening, local)
        return None

    def describe(self, language: str = "zh") -> str:
        """The weekly hours in words, for the tenant: 周一至周五 09:00-17:30 / Mon-Fri 09:00-17:30."""
        names = WEEKDAY_ZH if language == "zh" else WEEKDAY_EN
        groups: list[tuple[list[int], list[tuple[time, time]]]] = []
        for day in sorted(self.week):
            if groups and groups[-1][1] == self.week[day] and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], self.week[day]))
        parts = []
        for days, ranges in groups:
            label = (
                names[days[0]]
                if len(days) == 1
                else (
                    f"{names[days[0]]}至{names[days[-1]]}"
                    if language == "zh"
                    else f"{names[days[0]]}-{names[days[-1]]}"
                )
            )
            hours = ", ".join(
                f"{s:%H:%M}-{'24:00' if e.hour == 23 and e.minute == 59 else f'{e:%H:%M}'}" for s, e in ranges
            )
            parts.append(f"{label} {hours}")
        return ("；" if language == "zh" else "; ").join(parts)


WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
