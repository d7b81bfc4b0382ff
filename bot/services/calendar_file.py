"""Agenda to .ics (RFC 5545) with the icalendar package: one file a phone calendar opens.

Times carry the mission's TZID and the file embeds the matching VTIMEZONE; UIDs are stable
(mission key + session key), so importing a newer file updates events instead of doubling
them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vGeo

from bot.services.agenda import SessionView, Viewer

UID_DOMAIN = "missionbot"
SEQUENCE_EPOCH = datetime(2017, 1, 1, tzinfo=UTC)


def session_uid(mission_key: str, session_key: str) -> str:
    return f"{session_key}.{mission_key}@{UID_DOMAIN}"


def agenda_ics(viewer: Viewer, items: list[SessionView], locale: str, stamp: datetime) -> bytes:
    zone = ZoneInfo(viewer.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Mission Bot//missionbot//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", viewer.mission.name(locale))
    calendar.add("x-wr-timezone", viewer.timezone)
    for item in items:
        event = Event()
        event.add("uid", session_uid(viewer.mission.key, item.key))
        event.add("dtstamp", stamp)
        # Calendars take an event with a higher SEQUENCE as the newer version of the same UID.
        event.add("last-modified", item.updated_at)
        event.add("sequence", max(0, int((item.updated_at - SEQUENCE_EPOCH).total_seconds() // 60)))
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
        event.add("summary", item.title(locale))
        if item.description(locale):
            event.add("description", item.description(locale))
        if item.venue is not None:
            place = ", ".join(p for p in (item.venue.name, item.room, item.venue.address) if p)
            event.add("location", place)
            if item.venue.latitude is not None and item.venue.longitude is not None:
                event.add("geo", vGeo((item.venue.latitude, item.venue.longitude)))
        elif item.room:
            event.add("location", item.room)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
