"""Missions as admins see them: seats, invite codes, registration state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Mission


@dataclass(frozen=True)
class MissionOverview:
    key: str
    name_fr: str
    name_en: str
    city: str
    invite_code: str
    registration_open: bool
    capacity: int | None
    seats_taken: int

    def name(self, locale: str) -> str:
        return self.name_fr if locale == "fr" else self.name_en


async def overview(sessions: async_sessionmaker[AsyncSession]) -> list[MissionOverview]:
    async with sessions() as session:
        missions = await session.scalars(select(Mission).order_by(Mission.starts_on, Mission.id))
        return [
            MissionOverview(
                m.key,
                m.name_fr,
                m.name_en,
                m.city,
                m.invite_code,
                m.registration_open,
                m.capacity,
                m.seats_taken,
            )
            for m in missions
        ]
