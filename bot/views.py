"""Text for the agenda, sessions, venues: composed from catalog messages in the reader's
locale, times in the mission's zone (and the delegate's home zone when set), user and
organiser text escaped. Handlers send what these return."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta

from bot.i18n import (
    escape,
    format_clock,
    format_day,
    format_moment,
    format_short_day,
    get_locale,
    render,
    zone_city,
)
from bot.services.agenda import NowAndNext, SessionView, VenueView, Viewer
from bot.services.dates import fold

KIND_ICONS = {
    "talk": "🎤",
    "b2b": "🤝",
    "visit": "🏭",
    "meal": "🍽",
    "transport": "🚌",
    "other": "•",
}


AIRPORT_WORDS = ("aeroport", "airport")
FLIGHT_AT_LEAST = timedelta(hours=2)  # shuttles to and from airports are shorter


def is_flight(item: SessionView, mission_timezone: str) -> bool:
    """A ride with its own time zone (written in the zone it leaves from), or a long ride
    from an airport."""
    if item.kind.value != "transport":
        return False
    if item.local_timezone is not None and item.local_timezone != mission_timezone:
        return True
    at_airport = item.venue is not None and any(w in fold(item.venue.name) for w in AIRPORT_WORDS)
    return at_airport and item.ends_at - item.starts_at >= FLIGHT_AT_LEAST


def icon_of(item: SessionView, viewer: Viewer) -> str:
    """The kind's icon; a plane for a flight."""
    if is_flight(item, viewer.timezone):
        return "✈"
    return KIND_ICONS.get(item.kind.value, "•")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _other_zone(viewer: Viewer, item: SessionView | None) -> str | None:
    """The zone to show beside the mission's: the organiser's (a flight), else home."""
    other = (item.local_timezone if item else None) or viewer.home_timezone
    return other if other and other != viewer.timezone else None


def short_day(day: date) -> str:
    """'mar. 11' / 'Tue 11': for navigation buttons."""
    return format_short_day(day)


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _day_clock(moment: datetime, zone: str, day: date | None) -> str:
    """'09:00', or 'lun. 10 00:30' when the moment falls on another local day than `day`."""
    text = format_clock(moment, zone)
    local = _local_day(moment, zone)
    return text if day is None or local == day else f"{short_day(local)} {text}"


def _clock(
    moment: datetime,
    viewer: Viewer,
    item: SessionView | None = None,
    day: date | None = None,
    other_day: date | None = None,
) -> str:
    """'09:00', with the organiser's zone (a flight) or the home zone beside it; each with
    its short day when not on `day` (mission zone) or `other_day` (the other zone)."""
    text = _day_clock(moment, viewer.timezone, day)
    other = _other_zone(viewer, item)
    if other:
        text = render(
            "%(time)s (%(other_time)s %(other_city)s)",
            time=text,
            other_time=_day_clock(moment, other, other_day),
            other_city=zone_city(other),
        )
    return text


def _place(item: SessionView) -> str:
    parts = [item.venue.name] if item.venue else []
    if item.room:
        parts.append(item.room)
    return " · ".join(parts)


def _mission_header(viewer: Viewer) -> list[str]:
    """The mission's name, for someone who may look at several: which one this is."""
    if viewer.missions <= 1:
        return []
    return [f"🗂 <i>{escape(viewer.mission.name(get_locale()))}</i>"]


def agenda_day(viewer: Viewer, day: date, items: list[SessionView], note: str | None = None) -> str:
    locale = get_locale()
    lines = _mission_header(viewer)
    if note:
        lines += [note, ""]
    lines += [
        f"<b>{escape(_capitalised(format_day(day)))}</b>",
        render("%(city)s time", city=zone_city(viewer.timezone)),
        "",
    ]
    if not items:
        lines.append(render("Nothing planned for you on this day."))
    for item in items:
        icon = icon_of(item, viewer)
        # A time on another local day than the one listed (past midnight) shows its day.
        start, end = (_day_clock(t, viewer.timezone, day) for t in (item.starts_at, item.ends_at))
        lines.append(f"{icon} <b>{start}–{end}</b>  {escape(item.title(locale))}")
        other = _other_zone(viewer, item)
        if other:
            lines.append(
                "      "
                + render(
                    "%(start)s–%(end)s %(city)s time",
                    start=_day_clock(item.starts_at, other, day),
                    end=_day_clock(item.ends_at, other, day),
                    city=zone_city(other),
                )
            )
        place = _place(item)
        if place:
            lines.append(f"      📍 {escape(place)}")
    return "\n".join(lines)


def relative(delta: timedelta) -> str:
    """'dans 25 minutes' / 'in 25 minutes'."""
    return str(format_timedelta(delta, add_direction=True, threshold=1.5, locale=get_locale()))


def now_next(viewer: Viewer, found: NowAndNext, now: datetime) -> str:
    locale = get_locale()
    lines: list[str] = _mission_header(viewer)
    today = viewer.calendar.today(now)

    def when(moment: datetime, item: SessionView) -> str:
        # The day shows when it is not today; the other zone's when it is not the same day.
        return _clock(moment, viewer, item, today, _local_day(moment, viewer.timezone))

    if found.current:
        lines.append(render("<b>Now</b>"))
        for item in found.current:
            lines.append(
                render(
                    "• %(title)s, until %(end)s",
                    title=item.title(locale),
                    end=when(item.ends_at, item),
                )
            )
            if _place(item):
                lines.append(f"   📍 {escape(_place(item))}")
        lines.append("")
    if found.upcoming:
        lines.append(render("<b>Next</b>"))
        for item in found.upcoming:
            lines.append(
                render(
                    "• %(time)s %(title)s (%(relative)s)",
                    time=when(item.starts_at, item),
                    title=item.title(locale),
                    relative=relative(item.starts_at - now),
                )
            )
            if _place(item):
                lines.append(f"   📍 {escape(_place(item))}")
    if not found.current and not found.upcoming:
        lines.append(render("Nothing more on your agenda for this mission."))
    else:
        lines.append(render("Times are %(city)s time.", city=zone_city(viewer.timezone)))
    return "\n".join(lines).strip()


def session_card(viewer: Viewer, item: SessionView) -> str:
    locale = get_locale()
    lines = [
        f"{icon_of(item, viewer)} <b>{escape(item.title(locale))}</b>",
        escape(format_moment(item.starts_at, viewer.timezone)),
    ]
    other = _other_zone(viewer, item)
    if other:
        lines.append(escape(format_moment(item.starts_at, other)))
    # The end shows its day when it is on another local day than the start (past midnight).
    end = _clock(
        item.ends_at,
        viewer,
        item,
        _local_day(item.starts_at, viewer.timezone),
        _local_day(item.starts_at, other) if other else None,
    )
    lines.append(render("until %(end)s", end=end))
    if item.venue:
        lines += ["", f"📍 <b>{escape(item.venue.name)}</b>", escape(item.venue.address)]
    if item.room:
        lines.append(render("Room: %(room)s", room=item.room))
    if item.description(locale):
        lines += ["", escape(item.description(locale))]
    return "\n".join(lines)


def venue_card(
    viewer: Viewer, venue: VenueView, next_item: SessionView | None, now: datetime
) -> str:
    locale = get_locale()
    lines = [f"📍 <b>{escape(venue.name)}</b>", escape(venue.address)]
    if venue.notes(locale):
        lines += ["", escape(venue.notes(locale))]
    if next_item is not None and next_item.starts_at <= now:
        lines += [
            "",
            render(
                "On now here: %(title)s, until %(end)s",
                title=next_item.title(locale),
                # As in /next: the day when not today, the other zone as on the card.
                end=_clock(
                    next_item.ends_at,
                    viewer,
                    next_item,
                    viewer.calendar.today(now),
                    _local_day(next_item.ends_at, viewer.timezone),
                ),
            ),
        ]
    elif next_item is not None:
        lines += [
            "",
            render(
                "Next here: %(title)s, %(when)s, %(relative)s",
                title=next_item.title(locale),
                when=format_moment(next_item.starts_at, viewer.timezone),
                relative=relative(next_item.starts_at - now),
            ),
        ]
    return "\n".join(lines)


def button_title(
    item: SessionView, viewer: Viewer, limit: int = 40, day: date | None = None
) -> str:
    """'09:00 Title', with the short day ('lun. 10 02:00 Title') when not on `day`."""
    title = shorten(item.title(get_locale()), limit)
    return f"{_day_clock(item.starts_at, viewer.timezone, day)} {title}"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a whole word when one fits, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-→") + "…"


def dated_button_title(item: SessionView, viewer: Viewer, limit: int = 28) -> str:
    """'mar. 11 08:35 Navette hôtel → Centre de…': for choices among sessions of several
    days with the same title; kept short for a phone's button."""
    day = _local_day(item.starts_at, viewer.timezone)
    return f"{short_day(day)} {button_title(item, viewer, limit)}"
