"""The learner's days: local dates in the learner's time zone and the UTC instants they
begin at.

The zone is $TZ when it is set (an IANA name such as Europe/Paris, also in the POSIX form
:Europe/Paris, or the path of a TZif file; set but empty means UTC), else the system's zone
(tzlocal reads /etc/localtime, /etc/timezone, the Windows registry, ...). A zone that can't
be loaded falls back to UTC with one line on stderr.

Every boundary is computed for its own date, so a day across a DST change is 23 or 25 hours
long and no answer moves into the next day. Import-light: no database, no torch.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo


def zone() -> tzinfo:
    """The learner's time zone, read again whenever $TZ changes."""
    return _resolve(os.environ.get("TZ"))[0]


def zone_name() -> str:
    """The zone's name, e.g. 'Europe/Paris', 'UTC'."""
    return _resolve(os.environ.get("TZ"))[1]


def reset() -> None:
    """Forget the zones loaded so far (for tests that change the system's zone)."""
    _resolve.cache_clear()


@lru_cache(maxsize=8)
def _resolve(tz: str | None) -> tuple[tzinfo, str]:
    if tz is None:
        return _system_zone()
    name = tz.removeprefix(":")
    if not name:
        return UTC, "UTC"  # POSIX: TZ set but empty is UTC
    try:
        if os.path.isabs(name):
            with open(name, "rb") as f:
                return ZoneInfo.from_file(f, key=name), name
        return ZoneInfo(name), name
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return _fallback(f"unknown time zone TZ={tz!r}")


def _system_zone() -> tuple[tzinfo, str]:
    import warnings

    import tzlocal

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tzlocal's doubts about the system's settings
            z = tzlocal.get_localzone()
    except (KeyError, ValueError, OSError) as e:  # e.g. conflicting configuration files
        return _fallback(f"cannot read the system's time zone ({str(e).splitlines()[0]})")
    return z, getattr(z, "key", None) or str(z)


def _fallback(why: str) -> tuple[tzinfo, str]:
    # cached with the zone, so it is said once per process
    print(f"quizzer: {why}; using UTC", file=sys.stderr)
    return UTC, "UTC"


def local(dt: datetime) -> datetime:
    """`dt` on the learner's clock (a naive `dt` is UTC, as the database keeps it)."""
    return (dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt).astimezone(zone())


def local_date(dt: datetime) -> date:
    return local(dt).date()


def today(now: datetime | None = None) -> date:
    return local_date(now or datetime.now(UTC))


def day_start(d: date) -> datetime:
    """The first instant of local date `d`, as an aware UTC datetime: local midnight (or
    the end of a DST gap that swallows midnight, as in America/Santiago)."""
    return datetime.combine(d, time(0), tzinfo=zone()).astimezone(UTC)


def day_starts(first: date, last: date) -> list[datetime]:
    """The boundaries of the local dates first..last: day_start of each and of the day
    after `last` (n + 1 instants for n days; [] when last < first)."""
    n = (last - first).days + 1
    return [day_start(first + timedelta(days=i)) for i in range(n + 1)] if n > 0 else []


def week_start(d: date) -> date:
    """The Monday of `d`'s week."""
    return d - timedelta(days=d.weekday())
