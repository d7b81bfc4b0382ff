"""Plain-language questions through the real Application, and questions to coordinators."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from bench.qa_accuracy import CASES, accuracy, evaluate
from bot.services import questions as questions_service
from bot.services.dates import MissionCalendar, parse_day
from bot.services.questions import (
    CANDIDATES,
    CLOCK_QUESTION,
    WHEN_CLAUSE,
    AnswerKind,
    Doc,
    MissionIndex,
    _candidates,
    _direction,
    _field_words,
    _first_to_come,
    _place_words,
    _root,
    _totals,
    _with_passages,
    _with_places,
    clear_cache,
    corrected,
    language_of,
    prepare_indexes,
    words_of,
)
from models import Question, QuestionStatus, Venue
from tests.harness import ADMIN_ID, Harness, TgUser, joined
from tests.test_agenda import item, paris, register

FR = TgUser(801, "Camille", "fr-CA")
EN = TgUser(802, "Alex", "en")
ADMIN = TgUser(ADMIN_ID, "Dominique", "fr")


async def test_french_question_gets_a_french_answer(lyon: Harness) -> None:
    await register(lyon, FR)
    text = joined(await lyon.send(FR, "ou est le diner de gala"))
    assert "Dîner de gala" in text
    assert "Brasserie Georges" in text
    assert "(heure de Paris)" in text


async def test_english_question_gets_an_english_answer_even_from_a_french_user(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    text = joined(await lyon.send(FR, "what time is the gala dinner?"))
    assert "Delegation gala dinner" in text or "gala dinner" in text.lower()
    assert "Paris time" in text


async def test_faq_day_and_next_questions(lyon: Harness) -> None:
    await register(lyon, EN)
    await register(lyon, FR)
    assert (
        "Wi-Fi" in joined(await lyon.send(EN, "wifi password?"))
        or "wifi" in joined(await lyon.send(EN, "wifi password?")).lower()
    )
    lyon.clock.set(paris(10, 9))
    assert "Mardi 11 avril 2017" in joined(await lyon.send(FR, "programme de demain"))
    panel = await item(lyon, "keynote-panel")
    lyon.clock.set(panel.starts_at - timedelta(minutes=20))
    assert "in 20 minutes" in joined(await lyon.send(EN, "what's next"))


async def test_unknown_question_goes_to_the_coordinators_and_back(lyon: Harness) -> None:
    await register(lyon, EN)
    await lyon.send(ADMIN, "/start")  # the admin has talked to the bot: French
    calls = await lyon.send(EN, "is there a swimming pool at the hotel")
    assert "askq" in lyon.buttons(EN)
    assert "not sure" in joined(calls) or "do not know" in joined(calls)
    calls = await lyon.press(EN, "askq")
    assert "sent to the coordinators" in joined(calls)
    to_admin = [c for c in calls if c.chat_id == ADMIN_ID]
    assert to_admin
    assert "Question de" in to_admin[0].text
    assert "swimming pool" in to_admin[0].text
    async with lyon.db() as session:
        question = await session.scalar(select(Question))
        assert question is not None
    assert "swimming pool" in joined(await lyon.send(ADMIN, "/questions"))
    await lyon.press(ADMIN, f"qr:{question.id}")
    calls = await lyon.send(ADMIN, "No pool, but there is a gym on the 2nd floor.")
    to_delegate = [c for c in calls if c.chat_id == EN.id]
    assert "The coordinators answered your question" in to_delegate[0].text
    assert "gym on the 2nd floor" in to_delegate[0].text
    assert "Envoyé" in joined([c for c in calls if c.chat_id == ADMIN_ID])
    async with lyon.db() as session:
        question = await session.scalar(select(Question))
        assert question is not None
        assert question.status == QuestionStatus.ANSWERED
    assert "Aucune question" in joined(await lyon.send(ADMIN, "/questions"))
    assert "answered" in joined(await lyon.send(EN, "/ask"))


async def test_ask_command_and_forged_reply_button(lyon: Harness) -> None:
    await register(lyon, FR)
    calls = await lyon.send(FR, "/ask Peut-on amener un invité au gala ?")
    assert "transmise aux coordonnateurs" in joined(calls)
    async with lyon.db() as session:
        question = await session.scalar(select(Question))
        assert question is not None
    calls = await lyon.press(FR, f"qr:{question.id}")  # a delegate forging the staff button
    assert "réservé" in joined(calls)
    calls = await lyon.send(FR, "Oui bien sûr")  # must not be taken as an answer
    async with lyon.db() as session:
        again = await session.scalar(select(Question))
        assert again is not None
        assert again.status == QuestionStatus.OPEN


async def test_odd_input_gets_a_clear_answer(lyon: Harness) -> None:
    await register(lyon, EN)
    assert "in words" in joined(await lyon.send(EN, "🙂🙂🙂"))
    assert joined(await lyon.send(EN, "gala " * 2000))  # 10,000 characters: answered, no crash
    assert "no Saturday" in joined(await lyon.send(EN, "what's on saturday"))


async def test_not_registered_person_is_told_how_to_register(lyon: Harness) -> None:
    assert "/register" in joined(await lyon.send(TgUser(899), "where is the gala"))


async def test_start_up_builds_the_index_of_a_mission_under_way_only(lyon: Harness) -> None:
    """The first question after a restart does not wait for the index to be built; a
    mission that is over is not built for nothing."""
    clear_cache()
    assert await prepare_indexes(lyon.db, date(2017, 4, 30)) == 0
    assert questions_service._CACHE == {}
    assert await prepare_indexes(lyon.db, date(2017, 4, 11)) == 1
    (kept,) = questions_service._CACHE.values()
    await register(lyon, EN)
    lyon.clock.set(paris(11, 9))
    assert "Wi-Fi" in joined(await lyon.send(EN, "wifi password?"))
    (still,) = questions_service._CACHE.values()
    assert still[1] is kept[1]  # answered from the index built at start-up


async def test_answer_quality_does_not_regress() -> None:
    # The benchmark (python -m bench.qa_accuracy) prints the figures; this guards the floor.
    assert accuracy(await evaluate(CASES)) >= 0.95
    assert accuracy(await evaluate(CASES.with_name("heldout.yaml"))) >= 0.95
    assert accuracy(await evaluate(CASES.with_name("fresh_a.yaml"))) >= 0.98
    assert accuracy(await evaluate(CASES.with_name("fresh_b.yaml"))) >= 0.98
    assert accuracy(await evaluate(CASES.with_name("fresh_c.yaml"))) >= 0.96
    assert accuracy(await evaluate(CASES.with_name("fresh_d.yaml"))) >= 0.98
    # Held out until round 6 (88, 75, 81 %), tuned on since.
    assert accuracy(await evaluate(CASES.with_name("fresh_e.yaml"))) >= 0.99
    assert accuracy(await evaluate(CASES.with_name("fresh_f.yaml"))) >= 0.93
    assert accuracy(await evaluate(CASES.with_name("fresh_g.yaml"))) >= 0.95
    # Held out until round 7 (87, 93 %), tuned on since.
    assert accuracy(await evaluate(CASES.with_name("fresh_h.yaml"))) >= 0.97
    assert accuracy(await evaluate(CASES.with_name("fresh_i.yaml"))) >= 0.99
    # Held out until round 8 (72 %), tuned on since.
    assert accuracy(await evaluate(CASES.with_name("fresh_j.yaml"))) >= 0.93
    # Held out until round 9 (93, 92, 92 %), tuned on since.
    assert accuracy(await evaluate(CASES.with_name("fresh_k.yaml"))) >= 0.99
    assert accuracy(await evaluate(CASES.with_name("fresh_l.yaml"))) >= 0.99
    assert accuracy(await evaluate(CASES.with_name("fresh_m.yaml"))) >= 0.99
    # Held out through round 9 (96, 90, 92 %); tuned on in round 10 (100, 100, 100 %).
    assert accuracy(await evaluate(CASES.with_name("fresh_n.yaml"))) >= 0.99
    assert accuracy(await evaluate(CASES.with_name("fresh_o.yaml"))) >= 0.99
    assert accuracy(await evaluate(CASES.with_name("fresh_p.yaml"))) >= 0.99
    # Written afresh during round 10 (first seen at 85 and 88 %), tuned on since (98, 98 %).
    assert accuracy(await evaluate(CASES.with_name("fresh_q.yaml"))) >= 0.97
    assert accuracy(await evaluate(CASES.with_name("fresh_r.yaml"))) >= 0.98
    # Written afresh during round 10 and held back from it: 89 and 92 % before it, 90 and
    # 93 % after (the unseen measure of round 10).
    assert accuracy(await evaluate(CASES.with_name("fresh_s.yaml"))) >= 0.97
    assert accuracy(await evaluate(CASES.with_name("fresh_t.yaml"))) >= 0.97
    # Written afresh after round 10, never tuned on: 96 and 91 % then, 96 and 92 % after
    # round 11 (tuned on S and T).
    assert accuracy(await evaluate(CASES.with_name("fresh_u.yaml"))) >= 0.96
    assert accuracy(await evaluate(CASES.with_name("fresh_v.yaml"))) >= 0.93
    # Written afresh after round 11 by four writers in four voices (Québécois, formal,
    # SMS-hurried, non-native): 88, 87, 95 and 91 % at first sight; W, X and Z tuned on in
    # round 12 (91, 93, 95 %), Y not (97 %).
    assert accuracy(await evaluate(CASES.with_name("fresh_w.yaml"))) >= 0.91
    assert accuracy(await evaluate(CASES.with_name("fresh_x.yaml"))) >= 0.93
    assert accuracy(await evaluate(CASES.with_name("fresh_y.yaml"))) >= 0.97
    assert accuracy(await evaluate(CASES.with_name("fresh_z.yaml"))) >= 0.95
    # Round 12: eight writers, eight voices (anxious first-timer, assistant for her boss,
    # voice dictation, terse executive, Québécois chat, pedantic scientist, typo-prone rep,
    # coordinator's assistant): 91, 93, 86, 83, 90, 89, 93 and 79 % at first sight, all
    # tuned on since.
    # Each floor is one case below what the set scored at the end of round 17.
    for name, floor in [
        ("fresh_aa.yaml", 0.92),
        ("fresh_ab.yaml", 0.96),
        ("fresh_ac.yaml", 0.96),
        ("fresh_ad.yaml", 0.94),
        ("fresh_ae.yaml", 0.94),
        ("fresh_af.yaml", 0.91),
        ("fresh_ag.yaml", 0.95),
        ("fresh_ah.yaml", 0.88),
        # Written for round 12 and held back from it (the unseen measure: 92, 90, 93, 88 %
        # at first sight), tuned on in round 13.
        ("fresh_ai.yaml", 0.94),
        ("fresh_aj.yaml", 0.96),
        ("fresh_ak.yaml", 0.97),
        ("fresh_al.yaml", 0.92),
        # Written for round 13 and held back from it (its unseen measure: 95, 85, 96, 98 %
        # at first sight), tuned on since.
        ("fresh_am.yaml", 0.95),
        ("fresh_an.yaml", 0.89),
        ("fresh_ao.yaml", 0.95),
        ("fresh_ap.yaml", 0.98),
        # Written for round 14 and held back from it (its unseen measure: 93, 91, 91, 94 %
        # at first sight), tuned on in its last steps.
        ("fresh_aq.yaml", 0.95),
        ("fresh_ar.yaml", 0.94),
        ("fresh_as.yaml", 0.91),
        ("fresh_at.yaml", 0.97),
        # Written for round 15 and held back from it (its unseen measure: 99, 93, 90, 96 %
        # at first sight), tuned on in its last steps.
        ("fresh_au.yaml", 0.99),
        ("fresh_av.yaml", 0.94),
        ("fresh_aw.yaml", 0.91),
        ("fresh_ax.yaml", 0.96),
        # Written for round 16 and held back from it (its unseen measure: 93, 90, 97, 90 %
        # at first sight), tuned on in its last steps.
        ("fresh_ay.yaml", 0.93),
        ("fresh_az.yaml", 0.94),
        ("fresh_ba.yaml", 0.98),
        ("fresh_bb.yaml", 0.92),
        # Written for round 17 and held back from it (its unseen measure: 93, 82, 88, 97 %
        # at first sight; BD asks indirectly, "savez-vous par hasard…"), tuned on since.
        ("fresh_bc.yaml", 0.96),
        ("fresh_bd.yaml", 0.89),
        ("fresh_be.yaml", 0.89),
        ("fresh_bf.yaml", 0.97),
        # Round 18, four voices (formal board member, hurried founder, Québécois, assistants
        # asking for their bosses): 94, 96, 95, 92 % at first sight, tuned on since.
        ("fresh_bg.yaml", 0.97),
        ("fresh_bh.yaml", 0.97),
        ("fresh_bi.yaml", 0.97),
        ("fresh_bj.yaml", 0.93),
        # Written after the round-18 tuning, its unseen measure (anxious first-timers,
        # scientists naming sessions by content, search-box queries, times relative to
        # now): 93, 99, 87, 87 % at first sight; a few fixes since.
        ("fresh_bk.yaml", 0.94),
        ("fresh_bl.yaml", 0.99),
        ("fresh_bm.yaml", 0.88),
        ("fresh_bn.yaml", 0.87),
        # Written for round 19 and held back from it (its unseen measure): home-time
        # thinkers, voice dictation without punctuation.
        ("fresh_bo.yaml", 0.98),
        ("fresh_bq.yaml", 0.84),
    ]:
        assert accuracy(await evaluate(CASES.with_name(name))) >= floor, name


# One question for each general behaviour of the engine, phrased unlike any case file.
GENERAL = [
    # A clear winner, every word known, even if only its description matches.
    {"q": "check-out thursday, until when?", "lang": "en",
     "expect": {"session": "transfer-hotel-lys"}},
    # An inflected verb finds the synonyms of its root ("soupe" like "souper").
    {"q": "on soupe où mercredi", "lang": "fr", "expect": {"session": "gala-dinner"}},
    # "Dîner" at noon is lunch; a named day and part of it filter the sessions.
    {"q": "le dîner de mercredi midi c'est où", "lang": "fr",
     "expect": {"session": "visit-gerland"}},
    # "Pis", "après": what comes next.
    {"q": "pis après ça?", "lang": "fr", "now": "2017-04-11T10:00", "expect": {"next": True}},
    # An event named with its place is about the event.
    {"q": "the reception at city hall: do i need my badge?", "lang": "en",
     "expect": {"session": "reception-quebec-aura"}},
    {"q": "comment je rejoins la coordonnatrice", "lang": "fr",
     "expect": {"faq": "coordinator"}},
    # A yes/no question: only the unknown words of its own sentence count.
    {"q": "y a-t-il de la traduction à la plénière d'ouverture? j'ai de la misère en anglais",
     "lang": "fr", "expect": {"session": "opening-plenary"}},
    {"q": "which room is the closing plenary in", "lang": "en",
     "expect": {"session": "closing-plenary"}},
    {"q": "drinks monday night, where", "lang": "en", "expect": {"session": "welcome-cocktail"}},
    # French "on" is "we", not "what's on": a door of City Hall is about the place.
    {"q": "on rentre par quelle porte à l'hôtel de ville", "lang": "fr",
     "expect": {"venue": "hotel-de-ville"}},
    # A word the mission does not know, however short, keeps the strict bar.
    {"q": "is there a spa at the hotel", "lang": "en", "expect": {"unknown": True}},
    {"q": "agenda for wednesday plz", "lang": "en", "now": "2017-04-10T20:00",
     "expect": {"day": "2017-04-12"}},
    # "Ça prend combien de temps": how long, not the weather.
    {"q": "ça prend combien de temps pour aller à l'aéroport", "lang": "fr",
     "expect": {"faq": "airport-transfer"}},
    # "When do we leave for" a place: the ride there.
    {"q": "quand est-ce qu'on part pour biomérieux", "lang": "fr",
     "expect": {"session": "shuttle-hotel-marcy"}},
    # "Complet", "full": how much of a day, not a subject.
    {"q": "je voudrais le programme complet pour mardi", "lang": "fr",
     "expect": {"day": "2017-04-11"}},
    # "Est-ce que" and "will there be" ask yes or no: a subject the mission does not know
    # about, next to an event it knows, is not that event.
    {"q": "est-ce que les enfants sont admis au cocktail d'accueil?", "lang": "fr",
     "expect": {"unknown": True}},
    {"q": "will there be halal food at the forum lunch?", "lang": "en",
     "expect": {"unknown": True}},
    # …but a yes/no question the answer's own text speaks to is answered by it.
    {"q": "can i pay with my credit card in restaurants", "lang": "en",
     "expect": {"faq": "currency-tipping"}},
    # What there is to see at a place is its visit.
    {"q": "qu'est-ce qu'on va voir chez bioaster", "lang": "fr",
     "expect": {"session": "visit-gerland"}},
    # Leaving for an event: the ride that brings the group there.
    {"q": "when does the coach leave for the gerland tour", "lang": "en",
     "expect": {"session": "transfer-marcy-gerland"}},
    # A ride question naming where it goes: the next ride there.
    {"q": "how long is the trip out to marcy", "lang": "en",
     "expect": {"session": "shuttle-hotel-marcy"}},
    # Asked when, several sessions answer, not the FAQ on how they work…
    {"q": "b2b meetings: what time do they start", "lang": "en",
     "expect": {"session": "b2b-medtech"}},
    # …while asked how, the FAQ does.
    {"q": "comment on fait pour réserver un rendez-vous b2b", "lang": "fr",
     "expect": {"faq": "b2b-meetings"}},
    # Everyday words for the weather; English spelling tells the language.
    {"q": "how chilly does it get in the evening", "lang": "en", "expect": {"faq": "weather"}},
    {"q": "parking", "lang": "en", "expect": {"unknown": True}},
    # Polite forms and hedges around the question carry no subject.
    {"q": "Auriez-vous l'obligeance de m'envoyer le programme de mercredi ?", "lang": "fr",
     "expect": {"day": "2017-04-12"}},
    {"q": "could you give me an overview of tomorrow", "lang": "en", "now": "2017-04-10T18:00",
     "expect": {"day": "2017-04-11"}},
    {"q": "Et la prochaine étape ?", "lang": "fr", "expect": {"next": True}},
    # A story before the question: the question sentence alone is clear.
    {"q": "We are stuck in traffic near Perrache, terrible day. When is the gala dinner?",
     "lang": "en", "expect": {"session": "gala-dinner"}},
    # Words typed apart that the mission writes as one.
    {"q": "a quelle heure la visite chez bio merieux", "lang": "fr",
     "expect": {"session": "visit-biomerieux"}},
    # "Retour" with a place: where the ride goes.
    {"q": "la navette retour hotel de ce soir part quand", "lang": "fr", "now": "2017-04-11T19:00",
     "expect": {"session": "shuttle-hdv-hotel"}},
    # A session written in another zone is on its own day there too: the flight out leaves
    # Montréal on Sunday evening (Monday already in Lyon). Feelings are asides.
    {"q": "Never flown to Europe before, kind of anxious. When does our flight take off from "
          "Montréal on Sunday?", "lang": "en", "expect": {"session": "flight-out"}},
    # A weekday that ends a sentence is still a day.
    {"q": "Full schedule Wednesday.", "lang": "en", "expect": {"day": "2017-04-12"}},
    # A last sentence with no subject of its own asks about the story before it; a
    # session's audience tags are its words.
    {"q": "I'm with the pharma group and one of my Tuesday afternoon follow-up meetings got "
          "cancelled. What should I do?", "lang": "en", "expect": {"session": "b2b-second-round"}},
    {"q": "medtech here: my tuesday afternoon meetings, which room?", "lang": "en",
     "expect": {"session": "b2b-second-round"}},
    # A plan failing (miss, late) is the FAQ that says what to do then, whatever the day…
    {"q": "What happens if I miss the airport shuttle on Thursday? Any backup?", "lang": "en",
     "expect": {"faq": "airport-transfer"}},
    {"q": "Si mon avion arrive en retard lundi, est-ce que quelqu'un peut récupérer mon badge?",
     "lang": "fr", "expect": {"faq": "badge"}},
    # …but only when the rest of the question is about it: a day and a time to the minute
    # name a session.
    {"q": "La réunion de 7 h 30 mardi à l'hôtel, je peux la manquer?", "lang": "fr",
     "expect": {"session": "briefing-breakfast"}},
    # Words of the story before the question that the mission does not know weigh little.
    {"q": "Je viens d'arriver à l'aéroport de Lyon et mes bagages ne sont pas là. Qu'est-ce "
          "que je fais?", "lang": "fr", "expect": {"faq": "lost-luggage"}},
    # What time it is somewhere is the time difference.
    {"q": "Je veux téléphoner à ma conjointe au réveil à Montréal. Quelle heure il est là-bas "
          "quand il est 13 h ici?", "lang": "fr", "expect": {"faq": "time-difference"}},
    # A meal named with a day is a time of that day.
    {"q": "Wednesday lunch, are we on our own for food?", "lang": "en",
     "expect": {"session": "visit-gerland"}},
    # A clause of time before the question does not ask when; finding the person who waits
    # is being met.
    {"q": "Once I land in Lyon, how do I spot the delegation person at the exit?", "lang": "en",
     "expect": {"session": "transfer-lys-hotel"}},
    # A synonym is matched as spelled ("regroupe" is not "groupe").
    {"q": "Where does everyone gather for the group photo?", "lang": "en",
     "expect": {"session": "closing-plenary"}},
    # After a named event, the ride that leaves as it ends.
    {"q": "Après la visite de l'usine mercredi, on repasse par l'hôtel ou on va directement à "
          "la prochaine visite?", "lang": "fr", "expect": {"session": "transfer-marcy-gerland"}},
    {"q": "Le retour à l'hôtel après la clôture, c'est à quelle heure?", "lang": "fr",
     "expect": {"session": "shuttle-ccl-hotel-d3"}},
    # The last morning is the mission's last day; "en ville" is not City Hall.
    {"q": "Check-out is before what time on the last morning?", "lang": "en",
     "expect": {"session": "transfer-hotel-lys"}},
    {"q": "Je veux aller souper en ville. Comment j'appelle un taxi?", "lang": "fr",
     "expect": {"faq": "taxis"}},
    # A compound is also typed as one word ("start-ups").
    {"q": "I'm a digital health startup. Tuesday afternoon, what do I need to get ready for my "
          "meetings?", "lang": "en", "expect": {"session": "b2b-digital-health"}},
    # What the question takes back or leaves out is not what it asks.
    {"q": "pas le souper, le cocktail : ça finit quand?", "lang": "fr",
     "expect": {"session": "welcome-cocktail"}},
    {"q": "le programme de mardi, euh non je voulais dire jeudi", "lang": "fr",
     "expect": {"day": "2017-04-13"}},
    {"q": "forget the bus, when does the factory tour itself begin?", "lang": "en",
     "expect": {"session": "visit-biomerieux"}},
]  # fmt: skip


def test_only_a_correction_or_an_exclusion_changes_the_question() -> None:
    assert corrected("je ne sais pas où est le gala") is None
    assert corrected("pas de navette ce soir?") is None
    assert corrected("is it not at the hotel?") is None
    taken_back = corrected("Which room for medtech... sorry, I meant pharma, not medtech")
    assert taken_back is not None
    text, left_out = taken_back
    assert (" ".join(text.split()), left_out) == (
        "which room for, pharma ,",
        frozenset({"medtech"}),
    )


# Round 6: the same behaviours asked at length, politely, with typos.
GENERAL_6 = [
    # A day's programme asked at length is that day, words the mission does not know or
    # all of it shares ("Lyon") notwithstanding.
    {"q": "Bonsoir, ma collègue veut tout savoir : c'est quoi le programme complet de jeudi?",
     "lang": "fr", "expect": {"day": "2017-04-13"}},
    {"q": "What do we do on Wednesday, our last full day in Lyon?", "lang": "en",
     "expect": {"day": "2017-04-12"}},
    {"q": "Give me Tuesday from morning to night please", "lang": "en",
     "expect": {"day": "2017-04-11"}},
    # An event said to be over, and what's next: what follows.
    {"q": "Le dîner de gala est terminé, c'est quoi la suite?", "lang": "fr",
     "now": "2017-04-12T22:30", "expect": {"next": True}},
    # Misspelt question words.
    {"q": "c koi le programe d'aprés-demain", "lang": "fr", "expect": {"day": "2017-04-12"}},
    # Letters swapped.
    {"q": "a quelle heure le dinre de gala", "lang": "fr", "expect": {"session": "gala-dinner"}},
    # How near a place is; something unknown near a venue is not the venue.
    {"q": "Is the City Hall within walking distance of our hotel?", "lang": "en",
     "expect": {"venue": "hotel-de-ville"}},
    {"q": "any laundromat near the hotel?", "lang": "en", "expect": {"unknown": True}},
    # Arriving as a moment, arriving asked with a time.
    {"q": "Rendus à l'aéroport de Lyon, on prend quoi pour l'hôtel?", "lang": "fr",
     "expect": {"session": "transfer-lys-hotel"}},
    {"q": "on the way back what time do we arrive in montreal", "lang": "en",
     "expect": {"session": "flight-home"}},
    # A polite request is not a yes/no question.
    {"q": "Could you send me all the sessions planned for Monday please, I need to plan calls",
     "lang": "en", "expect": {"day": "2017-04-10"}},
    # A yes/no question about something the mission does not know, at a sentence start.
    {"q": "Je viens de Belgique. Y a-tu une piscine à l'hôtel?", "lang": "fr",
     "expect": {"unknown": True}},
]  # fmt: skip


async def test_general_understanding_round_6(tmp_path: Path) -> None:
    cases = tmp_path / "general6.yaml"
    cases.write_text(yaml.safe_dump(GENERAL_6, allow_unicode=True), encoding="utf-8")
    failures = [(o.case["q"], o.got.kind) for o in await evaluate(cases) if not o.ok]
    assert failures == []


# Round 7: one question per new behaviour, phrased unlike fresh_h and fresh_i.
GENERAL_7 = [
    # A word only one session's description uses names that session.
    {"q": "Y aura-t-il de la traduction simultanée à la plénière d'ouverture?", "lang": "fr",
     "expect": {"session": "opening-plenary"}},
    {"q": "Does the Tuesday morning shuttle wait for latecomers?", "lang": "en",
     "now": "2017-04-10T21:00", "expect": {"session": "shuttle-hotel-ccl-d2"}},
    # Someone taken ill suddenly: the emergency numbers.
    {"q": "There's been an accident, what number should I dial?", "lang": "en",
     "expect": {"faq": "emergency"}},
    # A greeting is not a part of the day.
    {"q": "Hello, what's the plan for today?", "lang": "en", "now": "2017-04-12T07:30",
     "expect": {"day": "2017-04-12"}},
    {"q": "Salut! On fait quoi aujourd'hui?", "lang": "fr", "now": "2017-04-12T07:30",
     "expect": {"day": "2017-04-12"}},
    # Being somewhere now, then asking what is next.
    {"q": "On vient d'arriver à l'hôtel, c'est quoi la suite?", "lang": "fr",
     "now": "2017-04-10T14:30", "expect": {"next": True}},
    # An event named by its place, no ride asked for.
    {"q": "The party at City Hall, when does it start?", "lang": "en",
     "now": "2017-04-11T09:00", "expect": {"session": "reception-quebec-aura"}},
    # A general practice asked about one event: the FAQ that speaks of it.
    {"q": "Do I need a tie for the City Hall reception?", "lang": "en",
     "expect": {"faq": "dress-code"}},
    # Going somewhere after an event: the ride that follows it.
    {"q": "Après la visite de Marcy, on va comment à Gerland?", "lang": "fr",
     "now": "2017-04-12T08:00", "expect": {"session": "transfer-marcy-gerland"}},
    # A dressy evening is the gala.
    {"q": "What time is the formal dinner on the last night?", "lang": "en",
     "expect": {"session": "gala-dinner"}},
    # The ride one means not to take is not the subject.
    {"q": "Can I take the tram to the forum instead of the shuttle?", "lang": "en",
     "expect": {"faq": "public-transport"}},
    # What a question is for, told after it, does not name the answer.
    {"q": "What's the hotel's street address? I want to send it to my family.", "lang": "en",
     "expect": {"venue": "hotel"}},
]  # fmt: skip


async def test_general_understanding_round_7(tmp_path: Path) -> None:
    cases = tmp_path / "general7.yaml"
    cases.write_text(yaml.safe_dump(GENERAL_7, allow_unicode=True), encoding="utf-8")
    failures = [(o.case["q"], o.got.kind) for o in await evaluate(cases) if not o.ok]
    assert failures == []


# Round 8: one question per new behaviour, phrased unlike fresh_j.
GENERAL_8 = [
    # "What's after X" asked during X is what comes next; asked before X, what follows X.
    {"q": "so what comes after the drinks", "lang": "en", "now": "2017-04-10T18:30",
     "expect": {"next": True}},
    {"q": "Qu'est-ce qui vient après la plénière d'ouverture?", "lang": "fr",
     "now": "2017-04-10T09:00", "expect": {"session": "welcome-cocktail"}},
    # Québec forms: "à soir" is this evening.
    {"q": "La navette pour revenir à l'hôtel à soir part quand?", "lang": "fr",
     "now": "2017-04-10T17:00", "expect": {"session": "shuttle-ccl-hotel-d1"}},
    # A word with synonyms of its own is not two known words.
    {"q": "takeoff tonight, what time?", "lang": "en", "now": "2017-04-09T14:00",
     "expect": {"session": "flight-out"}},
    # Getting into a city is arriving there.
    {"q": "When do we get into Montréal on Thursday?", "lang": "en",
     "now": "2017-04-12T20:00", "expect": {"session": "flight-home"}},
    # "From here" is where one is now: the hotel, after the ride from the airport.
    {"q": "How long is the ride from here to the forum?", "lang": "en",
     "now": "2017-04-10T14:40", "expect": {"session": "shuttle-hotel-ccl-d1"}},
    # "Where are you?" is the session under way.
    {"q": "I'm at the counters, where is everyone?", "lang": "en",
     "now": "2017-04-09T23:40", "expect": {"session": "yul-meetup"}},
    # "In general": the practice (the FAQ), not one session of it.
    {"q": "En règle générale, on prend les navettes où?", "lang": "fr",
     "now": "2017-04-11T07:00", "expect": {"faq": "shuttle-meeting-point"}},
    # Of the sessions named about as well, the one about to start.
    {"q": "The info breakfast, what room at the hotel?", "lang": "en",
     "now": "2017-04-11T07:05", "expect": {"session": "briefing-breakfast"}},
    # Not being there for something is a mishap: what to do then is the FAQ's.
    {"q": "What if I'm not present when they hand out the badges?", "lang": "en",
     "expect": {"faq": "badge"}},
    # "Éloigné" asks how far.
    {"q": "L'hôtel est-il éloigné du Centre de Congrès?", "lang": "fr",
     "expect": {"venue": "centre-congres"}},
    # Just arrived, asking who meets the group: the ride that does, not what is next;
    # "pis" between two clauses is "and".
    {"q": "On vient d'arriver à Saint-Exupéry, qui nous attend pis c'est où?", "lang": "fr",
     "now": "2017-04-10T12:50", "expect": {"session": "transfer-lys-hotel"}},
    # Hours ahead of here: the time difference.
    {"q": "Combien d'heures de plus à Lyon?", "lang": "fr", "now": "2017-04-09T15:00",
     "expect": {"faq": "time-difference"}},
    # Room service is a hotel service the mission does not know, not a room to find.
    {"q": "Can we order room service at the hotel?", "lang": "en",
     "expect": {"unknown": True}},
    # Losing the group is the coordinator's.
    {"q": "I've lost my group, what number do I call?", "lang": "en",
     "expect": {"faq": "coordinator"}},
]  # fmt: skip


async def test_general_understanding_round_8(tmp_path: Path) -> None:
    cases = tmp_path / "general8.yaml"
    cases.write_text(yaml.safe_dump(GENERAL_8, allow_unicode=True), encoding="utf-8")
    failures = [(o.case["q"], o.got.kind) for o in await evaluate(cases) if not o.ok]
    assert failures == []


# Round 10: the kinds of failure of sets N to R, phrased unlike any of them.
GENERAL_10 = [
    # "Là" closing or opening a Québec question, and "astheure", are now.
    {"q": "Ok là, on fait quoi?", "lang": "fr", "now": "2017-04-11T10:50",
     "expect": {"next": True}},
    {"q": "Astheure, on s'en va où?", "lang": "fr", "now": "2017-04-12T11:20",
     "expect": {"next": True}},
    # The language of very short questions: "-ess" spells English, "svp" French.
    {"q": "gerland adress?", "lang": "en", "expect": {"venue": "bioaster"}},
    {"q": "adresse hôtel svp", "lang": "fr", "expect": {"venue": "hotel"}},
    # A yes/no question after a statement about oneself, or "will the … be": something
    # the mission does not know of is unknown, not the event it is asked about.
    {"q": "I keep kosher, is there a kosher meal at the gala?", "lang": "en",
     "expect": {"unknown": True}},
    {"q": "Je suis végétalien, y a-t-il un plat sans viande au dîner de gala?", "lang": "fr",
     "expect": {"unknown": True}},
    {"q": "will the closing plenary be recorded?", "lang": "en", "expect": {"unknown": True}},
    # A statement clause around the clause that asks is the story.
    {"q": "what time does the welcome reception end, my wife is calling me after", "lang": "en",
     "now": "2017-04-10T12:00", "expect": {"session": "welcome-cocktail"}},
    {"q": "just got off the plane in lyon, nobody around, who is meeting us?", "lang": "en",
     "now": "2017-04-10T13:00", "expect": {"session": "transfer-lys-hotel"}},
    # A plan failing for a session, asked what to do: the FAQ that says what to do then.
    {"q": "My train to the forum is running late and I'll miss the badge desk on Monday, what "
          "then?", "lang": "en", "expect": {"faq": "badge"}},
    {"q": "Mon avion est en retard, je vais rater la remise des badges. On fait comment?",
     "lang": "fr", "expect": {"faq": "badge"}},
    # An answer found only in a description: rooms ready on arrival.
    {"q": "Will our rooms be ready when we reach the hotel?", "lang": "en",
     "expect": {"session": "transfer-lys-hotel"}},
    {"q": "Est-ce que les chambres seront prêtes dès notre arrivée à l'hôtel?", "lang": "fr",
     "expect": {"session": "transfer-lys-hotel"}},
    # Short forms: "st-ex" is Saint-Exupéry; Québec "y fait" is "il fait".
    {"q": "c'est loin st-ex du centre-ville?", "lang": "fr", "expect": {"venue": "lys"}},
    {"q": "Y fait-tu frette à Lyon le soir?", "lang": "fr", "expect": {"faq": "weather"}},
    # A place asked about, named in the question, is the venue, not an FAQ or a ride that
    # speaks of it; which town it is in is where it is.
    {"q": "what's the convention centre address? for my uber driver", "lang": "en",
     "expect": {"venue": "centre-congres"}},
    {"q": "bioaster, which city is it in?", "lang": "en", "expect": {"venue": "bioaster"}},
    # An event said vaguely and said to end is the event, not the ride there.
    {"q": "when does the city hall thing finish?", "lang": "en", "now": "2017-04-11T12:00",
     "expect": {"session": "reception-quebec-aura"}},
    # A means that is not the delegation's rides: public transport.
    {"q": "is there a tram line from our hotel to the congress centre?", "lang": "en",
     "now": "2017-04-11T08:00", "expect": {"faq": "public-transport"}},
    {"q": "Quel tram je prends de l'hôtel jusqu'au centre de congrès?", "lang": "fr",
     "now": "2017-04-11T08:00", "expect": {"faq": "public-transport"}},
    # Symptoms that call for help at once are the emergency numbers.
    {"q": "Mon collègue a une douleur à la poitrine, j'appelle quel numéro?", "lang": "fr",
     "expect": {"faq": "emergency"}},
    # "At 6" is a time: the session then.
    {"q": "I'm supposed to be where at 6 on Monday?", "lang": "en",
     "expect": {"session": "welcome-cocktail"}},
]  # fmt: skip


async def test_general_understanding_round_10(tmp_path: Path) -> None:
    cases = tmp_path / "general10.yaml"
    cases.write_text(yaml.safe_dump(GENERAL_10, allow_unicode=True), encoding="utf-8")
    failures = [(o.case["q"], o.got.kind) for o in await evaluate(cases) if not o.ok]
    assert failures == []


def test_elided_and_several_relative_days() -> None:
    calendar = MissionCalendar("Europe/Paris", date(2017, 4, 9), date(2017, 4, 13))
    now = datetime(2017, 4, 10, 20, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert parse_day("le programme d'aujourd'hui", calendar, now) == date(2017, 4, 10)
    assert parse_day("je me prépare ce soir : et demain?", calendar, now) == date(2017, 4, 11)
    assert parse_day("c quoi l'horaire pour dem", calendar, now) == date(2017, 4, 11)  # SMS


def test_arriving_with_a_time_is_where_the_trip_ends() -> None:
    _, destination = _direction(words_of("on arrive à montréal à quelle heure"))
    assert "montreal" in destination
    origin, _ = _direction(words_of("rendu à saint-exupéry, qui nous attend"))
    assert "saint-exupery" in origin


async def test_general_understanding(tmp_path: Path) -> None:
    cases = tmp_path / "general.yaml"
    cases.write_text(yaml.safe_dump(GENERAL, allow_unicode=True), encoding="utf-8")
    failures = [o.case["q"] for o in await evaluate(cases) if not o.ok]
    assert failures == []


def test_inflections_share_a_root_but_look_alikes_do_not() -> None:
    assert _root("prendre") == _root("prend")
    assert _root("arrivant") == _root("arrivee") == _root("arrival")
    assert _root("transfer") != _root("transit")
    assert _root("annulation") == _root("annule")
    assert _root("sortir") == _root("sortie")


def test_a_compound_is_also_one_word() -> None:
    assert {"startup", "start"} <= _field_words("digital-health start-ups")


def test_a_clause_of_time_before_the_question_does_not_ask_when() -> None:
    assert WHEN_CLAUSE.match("when we get to gerland, where will they wait?")
    assert not WHEN_CLAUSE.match("when is the gala, and where?")  # no question after it
    assert CLOCK_QUESTION.search("il sera quelle heure a lyon?")
    assert not CLOCK_QUESTION.search("the round table - what time is it")


def test_where_a_ride_comes_back_from_and_where_the_group_arrives_are_origins() -> None:
    origin, destination = _direction(words_of("la navette qui revient de l'hôtel de ville"))
    assert "cityhall" in origin
    assert not destination
    origin, _ = _direction(words_of("à l'arrivée à Saint-Exupéry, qui nous attend?"))
    assert "saint-exupery" in origin
    origin, destination = _direction(words_of("when i land in lyon"))
    assert "lyon" in origin
    assert "lyon" not in destination
    _, destination = _direction(words_of("the shuttle to the hotel"))
    assert "hotel" in destination


def test_a_weekday_ending_a_sentence_is_a_day() -> None:
    calendar = MissionCalendar("Europe/Paris", date(2017, 4, 9), date(2017, 4, 13))
    now = datetime(2017, 4, 10, 8, tzinfo=ZoneInfo("Europe/Paris"))
    assert parse_day("Programme complet mardi.", calendar, now) == date(2017, 4, 11)


def test_language_from_words_the_mission_uses_mostly_in_one_language() -> None:
    french, english = Counter({"tour": 1, "gala": 2}), Counter({"tour": 3, "gala": 2})
    assert language_of("biodistrict tour", "fr", french, english) == "en"
    assert language_of("gala", "fr", french, english) == "fr"  # no telling: the default
    assert language_of("gala", "en", french, english) == "en"


def test_english_spelling_tells_english_from_the_default() -> None:
    assert language_of("shuttle pickup", "fr") == "en"
    assert language_of("navette marcy", "en") == "en"  # no cue: the default holds
    assert language_of("navette du matin", "en") == "fr"


def test_a_place_word_names_its_venue() -> None:
    venues = [
        Venue(key="biomerieux", name="bioMérieux — site de Marcy-l'Étoile"),
        Venue(key="hotel", name="Mercure Lyon Centre"),
        Venue(key="centre-congres", name="Centre de Congrès de Lyon"),
    ]
    places = _place_words(venues)
    assert places["marcy"] == places["biomerieux"] == "@biomerieux"
    assert "centre" not in places  # two venues have it
    assert "lyon" not in places
    assert "@biomerieux" in _with_places({"marcy"}, places)


async def test_faq_list_opens_answers_and_staff_can_edit(lyon: Harness) -> None:
    await register(lyon, FR)
    await lyon.send(FR, "/faq")
    buttons = lyon.buttons(FR)
    assert len(buttons) >= 10
    calls = await lyon.press(FR, buttons[0])
    assert "❓" in joined(calls)
    assert not [b for b in lyon.buttons(FR) if b.startswith("em:")]
    await lyon.press(ADMIN, buttons[0])
    assert lyon.buttons(ADMIN) == [f"em:f:{buttons[0].removeprefix('f:')}"]


async def test_sessions_the_question_fits_as_well_are_offered_beside_the_answer(
    lyon: Harness,
) -> None:
    """'La navette demain' fits three rides equally: the likeliest is shown, the others are
    buttons in time order, each opening its own card below; a forged one shows nothing."""
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(10, 20))
    text = joined(await lyon.send(FR, "la navette demain"))
    assert "08:35" in text.split("D'autres séances")[0]  # the day's first ride is the card
    assert "D'autres séances répondent aussi à votre question" in text
    also = [int(b.removeprefix("sa:")) for b in lyon.buttons(FR) if b.startswith("sa:")]
    later = [(await item(lyon, key)).id for key in ("shuttle-ccl-hdv", "shuttle-hdv-hotel")]
    assert also == later  # the other rides that day, in time order
    labels = [label for label in lyon.labels(FR) if label.startswith("mar. 11")]
    assert len(labels) == 2
    assert all(len(label) <= 40 for label in labels)
    first = f"sa:{also[0]}"
    calls = await lyon.press(FR, first)
    assert [c.method for c in calls].count("sendMessage") == 1  # a new card, the first stays
    assert "(heure de Paris)" in joined(calls)

    text = joined(await lyon.send(EN, "shuttle tomorrow"))
    assert "Other sessions fit your question too:" in text
    assert [b for b in lyon.buttons(EN) if b.startswith("sa:")]
    # A plain, single answer has no such line.
    assert "Other sessions" not in joined(await lyon.send(EN, "what time is the gala dinner?"))

    gala = await item(lyon, "gala-dinner")
    outsider = TgUser(899, "Sam", "en")
    calls = await lyon.press(outsider, f"sa:{gala.id}")
    assert gala.title_en not in joined(calls)


def test_every_session_tied_with_the_answer_is_offered_however_many() -> None:
    """Six rides tied: the first not over is the answer, the five others are all offered
    (not only those among the four best alternatives)."""
    now = datetime(2017, 4, 11, 12, 0, tzinfo=ZoneInfo("UTC"))
    rides = [
        Doc(
            AnswerKind.SESSION,
            f"ride-{hour}",
            hour,
            {"navette"},
            {},
            starts_at=now.replace(hour=hour),
            ends_at=now.replace(hour=hour, minute=30),
        )
        for hour in (8, 20, 14, 17, 10, 19, 21)
    ]
    scored = [(1.0, d) for d in rides] + [(0.5, Doc(AnswerKind.FAQ, "faq", 99, set(), {}))]
    value, doc, tied = _first_to_come(scored[0], scored, now)
    assert (value, doc.key) == (1.0, "ride-14")  # 8:00 and 10:00 are over
    assert sorted(d.key for d in tied) == [f"ride-{h}" for h in (10, 17, 19, 20, 21, 8)]


def test_a_large_mission_reads_passages_only_where_they_can_change_the_best() -> None:
    # 400 sessions, words and look-alikes ("w3x") scattered over titles and the sentences
    # of descriptions: what is weighed is exactly what reading every passage would weigh.
    rnd = random.Random(5)
    vocab = [f"w{i}" for i in range(10)] + [f"w{i}x" for i in range(10)]
    docs = [
        Doc(
            AnswerKind.SESSION,
            f"s{i}",
            i,
            primary=set(rnd.sample(vocab, 2)),
            weights={w: rnd.choice([0.3, 0.5, 1.0]) for w in rnd.sample(vocab, 4)},
            passages=tuple(frozenset(rnd.sample(vocab, 3)) for _ in range(rnd.randint(0, 3))),
        )
        for i in range(400)
    ]
    index = MissionIndex("Europe/Paris", docs)
    viewer: Any = None  # every session is for everyone: whose agenda does not matter
    for _trial in range(40):
        asked = rnd.sample(range(10), 3)
        word_hits = {
            f"w{i}": {f"w{i}": (strength := rnd.uniform(1, 3)), f"w{i}x": 0.8 * strength}
            for i in asked
        }
        per_doc: dict[int, dict[str, float]] = {}
        for d, doc in enumerate(docs):
            values = {
                word: max(v * doc.weights[w] for w, v in hits.items() if w in doc.weights)
                for word, hits in word_hits.items()
                if hits.keys() & doc.weights.keys()
            }
            if values:
                per_doc[d] = values
        weight = sum(max(h.values()) for h in word_hits.values())
        every = {d: _with_passages(docs[d], v, word_hits, weight) for d, v in per_doc.items()}
        word_docs = {
            w: {d: values[w] for d, values in per_doc.items() if w in values} for w in word_hits
        }
        weighed = _candidates(_totals(index, word_docs, word_hits, weight, viewer, set()))
        assert weighed == _candidates(every)


def test_a_large_mission_weighs_the_best_matches_and_every_one_tied_with_them() -> None:
    few = {d: float(d) for d in range(CANDIDATES)}
    assert _candidates(few) == few  # a mission of a few dozen documents keeps them all
    # 300 documents: 50 strong, 200 tied at the cut (which comes first is for time to
    # decide, so none of them is dropped), 50 weak.
    totals = dict.fromkeys(range(50), 3.0) | dict.fromkeys(range(50, 250), 2.0)
    totals |= dict.fromkeys(range(250, 300), 1.0)
    assert set(_candidates(totals)) == set(range(250))
