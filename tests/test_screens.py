"""What the screens say, as a delegate reads them on a phone: venue, session and agenda
cards, /next, questions, /timezone, imports. French and English."""

from __future__ import annotations

from sqlalchemy import select

from models import Venue
from tests.harness import Harness, joined
from tests.test_agenda import EN, FR, paris, register


async def venue_id(h: Harness, key: str) -> int:
    async with h.db() as session:
        found = await session.scalar(select(Venue.id).where(Venue.key == key))
        assert found is not None
        return found


async def test_venue_card_says_what_is_on_now_and_what_is_next(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    hotel = await venue_id(lyon, "hotel")
    lyon.clock.set(paris(11, 8, 10))  # the briefing breakfast runs 07:30-08:30
    fr = joined(await lyon.press(FR, f"v:{hotel}"))
    assert "En ce moment ici : Petit-déjeuner d'information de la délégation, jusqu'à 08:30" in fr
    assert "il y a" not in fr
    en = joined(await lyon.press(EN, f"v:{hotel}"))
    assert "On now here: Delegation briefing breakfast, until 8:30\u202fAM" in en
    assert "ago" not in en
    lyon.clock.set(paris(11, 5, 30))
    fr = joined(await lyon.press(FR, f"v:{hotel}"))
    assert "(heure de Paris), dans 2 heures" in fr
    assert ") (" not in fr
    en = joined(await lyon.press(EN, f"v:{hotel}"))
    assert "Next here: Delegation briefing breakfast, Tuesday, April 11, 2017" in en
    assert "(Paris time), in 2 hours" in en
