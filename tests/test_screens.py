"""What the screens say, as a delegate reads them on a phone: venue, session and agenda
cards, /next, questions, /timezone, imports. French and English."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.services.questions import AnswerKind, Match, Understanding
from bot.services.zones import find_zone
from models import Mission, Question, Venue
from tests.harness import ADMIN_ID, Harness, TgUser, add_boston_mission, joined
from tests.test_agenda import EN, FR, item, paris, register


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


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


async def test_session_card_in_two_zones_starts_then_ends_and_shows_midnight(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    meetup = await item(lyon, "yul-meetup")  # 17:30-18:30 Toronto = 23:30-00:30 Paris
    lyon.clock.set(paris(9, 12))
    fr = lines_of(joined(await lyon.press(FR, f"s:{meetup.id}")))
    assert fr[1:4] == [
        "dimanche 9 avril 2017 à 23:30 (heure de Paris)",
        "dimanche 9 avril 2017 à 17:30 (heure de Toronto)",
        "jusqu'à lun. 10 00:30 (18:30 Toronto)",
    ]
    en = lines_of(joined(await lyon.press(EN, f"s:{meetup.id}")))
    assert en[1:4] == [
        "Sunday, April 9, 2017 at 11:30\u202fPM (Paris time)",
        "Sunday, April 9, 2017 at 5:30\u202fPM (Toronto time)",
        "until Mon 10 12:30\u202fAM (6:30\u202fPM Toronto)",
    ]
    flight = await item(lyon, "flight-out")  # Sun 20:00 Toronto -> Mon 12:45 Paris
    fr = lines_of(joined(await lyon.press(FR, f"s:{flight.id}")))
    assert fr[1:4] == [
        "lundi 10 avril 2017 à 02:00 (heure de Paris)",
        "dimanche 9 avril 2017 à 20:00 (heure de Toronto)",
        "jusqu'à 12:45 (lun. 10 06:45 Toronto)",
    ]


async def test_session_card_with_a_home_zone_keeps_the_same_order(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    await lyon.send(EN, "/timezone")
    await lyon.press(EN, "tz:America/Toronto")
    en = lines_of(joined(await lyon.press(EN, f"s:{gala.id}")))
    assert en[1].endswith("(Paris time)")
    assert en[2].endswith("(Toronto time)")
    assert en[3].startswith("until ")
    assert "Toronto)" in en[3]


async def test_agenda_day_shows_a_session_that_crosses_midnight(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(9, 12))
    assert "<b>23:30–lun. 10 00:30</b>" in joined(await lyon.send(FR, "/agenda"))
    assert "<b>11:30\u202fPM–Mon 10 12:30\u202fAM</b>" in joined(await lyon.send(EN, "/agenda"))
    # The flight of Monday morning left on Sunday, Toronto time.
    monday = joined(await lyon.send(FR, "/agenda lundi"))
    assert "dim. 9 20:00–06:45 heure de Toronto" in monday


async def test_next_gives_the_other_zone_for_what_is_on_and_what_is_next(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    await lyon.send(EN, "/timezone")
    await lyon.press(EN, "tz:America/Toronto")
    lyon.clock.set(paris(9, 23, 40))  # during the meet-up, before the flight
    en = joined(await lyon.send(EN, "/next"))
    assert "until Mon 10 12:30\u202fAM (Sun 9 6:30\u202fPM Toronto)" in en
    assert "Mon 10 2:00\u202fAM (Sun 9 8:00\u202fPM Toronto) Flight" in en
    assert "Mon 10 1:15\u202fPM (7:15\u202fAM Toronto) Airport" in en
    fr = joined(await lyon.send(FR, "/next"))  # no home zone: only the flight's own zone
    assert "jusqu'à lun. 10 00:30 (dim. 9 18:30 Toronto)" in fr
    assert "lun. 10 02:00 (dim. 9 20:00 Toronto) Vol" in fr
    assert "lun. 10 13:15 Navette aéroport" in fr
    assert "lun. 10 02:00 Vol" in " ".join(lyon.labels(FR))


async def test_with_two_missions_the_agenda_and_next_name_the_mission(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    # One mission: no name, the screen stays short.
    assert "Lyon 2017" not in joined(await lyon.send(FR, "/agenda"))
    assert "Lyon 2017" not in joined(await lyon.send(FR, "/next"))
    await add_boston_mission(lyon)
    await register(lyon, FR, mission_key="boston-2018")
    await register(lyon, EN, mission_key="boston-2018")
    async with lyon.db() as session:
        lyon_id = await session.scalar(select(Mission.id).where(Mission.key == "lyon-2017"))
    for user, name in (
        (FR, "Mission Montréal InVivo à BIOVISION Lyon 2017"),
        (EN, "Montréal InVivo Mission to BIOVISION Lyon 2017"),
    ):
        assert "BIO Boston 2018" in joined(await lyon.send(user, "/agenda"))
        assert "BIO Boston 2018" in joined(await lyon.send(user, "/next"))
        await lyon.press(user, f"mc:{lyon_id}:agenda")
        assert name in joined(await lyon.send(user, "/agenda"))
        assert name in joined(await lyon.send(user, "/next"))


async def test_not_sure_buttons_name_the_day_and_time_of_each_session(
    lyon: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    monday = await item(lyon, "shuttle-hotel-ccl-d1")
    tuesday = await item(lyon, "shuttle-hotel-ccl-d2")

    async def unsure(_db: object, _viewer: object, _text: str, _now: object, lang: str) -> Any:
        matches = tuple(Match(AnswerKind.SESSION, s.key, s.id, 0.5) for s in (monday, tuesday))
        return Understanding(AnswerKind.UNKNOWN, lang, confident=False, alternatives=matches)

    monkeypatch.setattr("handlers.questions.answer_question", unsure)
    await lyon.send(FR, "navette")
    labels = lyon.labels(FR)
    assert labels[:2] == [
        "lun. 10 15:15 Navette hôtel → Centre de…",
        "mar. 11 08:35 Navette hôtel → Centre de…",
    ]
    await lyon.send(EN, "shuttle")
    labels = lyon.labels(EN)
    assert labels[0].startswith("Mon 10 3:15\u202fPM Hotel → Convention")
    assert labels[1].startswith("Tue 11 8:35\u202fAM Hotel → Convention")
    assert all(len(label) <= 45 for label in labels)


async def test_a_long_question_is_cut_after_a_word_and_the_delegate_is_told(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    words = "pourquoi la navette part-elle si tôt le matin " * 100  # 4 600 characters
    calls = await lyon.send(FR, f"/ask {words}")
    told = joined([c for c in calls if c.chat_id == FR.id])
    assert "transmise aux coordonnateurs" in told
    assert "Elle était longue : j'en ai gardé les 1\u202f000 premiers caractères." in told
    async with lyon.db() as session:
        stored = await session.scalar(select(Question.text))
    assert stored is not None
    assert len(stored) <= 1000
    assert stored.endswith("…")
    assert stored[:-1].split()[-1] in words.split()  # a whole word before the "…"
    calls = await lyon.send(EN, "/ask " + "why does the shuttle leave so early " * 120)
    assert "It was long: I kept its first 1,000 characters." in joined(calls)
    calls = await lyon.send(EN, "/ask Is there a cloakroom?")
    assert "It was long" not in joined(calls)


async def test_a_long_plain_question_passed_on_with_the_button_is_told_shortened(
    lyon: Harness,
) -> None:
    await register(lyon, EN)
    await lyon.send(EN, "is there a swimming pool at the hotel " * 60)
    assert "askq" in lyon.buttons(EN)
    calls = await lyon.press(EN, "askq")
    assert "It was long: I kept its first 1,000 characters." in joined(calls)


async def test_question_alert_to_an_admin_who_never_wrote_is_in_the_questions_language(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    calls = await lyon.send(FR, "/ask Peut-on amener un invité au gala ?")
    to_admin = joined([c for c in calls if c.chat_id == ADMIN_ID])
    assert "Question de" in to_admin
    assert "Répondre" in " ".join(str(c.reply_markup) for c in calls if c.chat_id == ADMIN_ID)
    calls = await lyon.send(EN, "/ask Can I bring a guest to the gala?")
    assert "Question from" in joined([c for c in calls if c.chat_id == ADMIN_ID])


async def test_ask_alone_lists_earlier_questions_and_invites_a_new_one(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    await lyon.send(FR, "/ask Peut-on amener un invité au gala ?")
    text = joined(await lyon.send(FR, "/ask"))
    assert "Peut-on amener un invité" in text
    assert text.splitlines()[-1] == "Envoyez /ask suivi de votre question, et je la transmettrai."
    await lyon.send(EN, "/ask Can I bring a guest?")
    text = joined(await lyon.send(EN, "/ask"))
    assert "Can I bring a guest?" in text
    assert text.splitlines()[-1] == "Send /ask followed by your question, and I will pass it on."


async def test_emoji_or_punctuation_alone_asks_for_words_without_passing_it_on(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    for text in ("😀😀😀", "?!", "🙏 ..."):
        calls = await lyon.send(FR, text)
        assert "Écrivez votre question avec des mots" in joined(calls)
        assert "askq" not in lyon.buttons(FR)
        calls = await lyon.send(EN, text)
        assert "Please type your question in words" in joined(calls)
        assert "askq" not in lyon.buttons(EN)
    calls = await lyon.send(EN, "/ask 😀")
    assert "Please type your question in words" in joined(calls)
    assert not [c for c in calls if c.chat_id == ADMIN_ID]
    async with lyon.db() as session:
        assert await session.scalar(select(Question.id)) is None
    # A digit or a letter is something to answer.
    assert "in words" not in joined(await lyon.send(EN, "wifi 😀"))


def test_time_zones_by_city_or_iana_name_in_any_case() -> None:
    assert find_zone("toronto") == "America/Toronto"
    assert find_zone("Montréal") == "America/Montreal"  # Toronto's rules, Montréal's name
    assert find_zone("montreal") == "America/Montreal"
    assert find_zone("america/toronto") == "America/Toronto"
    assert find_zone("new york") == "America/New_York"
    assert find_zone("Sao Paulo") == "America/Sao_Paulo"
    for nothing in ("Mars/Olympus", "Etc/GMT+5", "Factory", "localtime", "", "../etc", "x" * 80):
        assert find_zone(nothing) is None


async def test_timezone_takes_a_city_and_tells_the_current_setting(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    assert "En ce moment : seulement l'heure de la mission." in joined(
        await lyon.send(FR, "/timezone")
    )
    assert "Now: only the mission's time." in joined(await lyon.send(EN, "/timezone"))
    assert "l'heure de Toronto" in joined(await lyon.send(FR, "/timezone toronto"))
    assert "Montreal time" in joined(await lyon.send(EN, "/timezone montréal"))
    assert "En ce moment : l'heure de Toronto à côté" in joined(await lyon.send(FR, "/timezone"))
    assert "Now: Montreal time beside" in joined(await lyon.send(EN, "/timezone"))
    assert "l'heure de Montréal" in joined(await lyon.send(FR, "/timezone Montréal"))
    assert "Vancouver" in joined(await lyon.send(EN, "/timezone america/vancouver"))
    assert "ne connais pas le fuseau" in joined(await lyon.send(FR, "/timezone Mars/Olympus"))


ADMIN_FR = TgUser(ADMIN_ID, "Dominique", "fr")
ADMIN_EN = TgUser(ADMIN_ID, "Dominique", "en")
BAD_CSV = (
    "key;title_fr;title_en;start;end;venue\n"
    "x1;A;A;2017-02-30 10:00;2017-02-30 11:00;nowhere\n"
    "Bad Key;B;B;2017-04-11 10:00;2017-04-11 09:00;hotel\n"
    ";C;C;;;\n"
)


async def test_import_reports_every_problem_of_a_line_and_dates_that_do_not_exist(
    lyon: Harness,
) -> None:
    fr = joined(await lyon.send_file(ADMIN_FR, "bad.csv", BAD_CSV.encode()))
    assert (
        "Ligne 2 : x1, start 2017-02-30 10:00 : cette date n'existe pas. "
        "Vérifiez le jour et le mois." in fr
    )
    assert "Ligne 2 : x1, end 2017-02-30 11:00 : cette date n'existe pas." in fr
    assert "Ligne 2 : x1 : lieu inconnu nowhere." in fr
    assert "Ligne 3 : clé Bad Key : utilisez des minuscules" in fr
    assert "Ligne 3 : B se termine avant de commencer." in fr
    assert "Ligne 4 : La clé manque (colonne key)." in fr
    assert "clé  :" not in fr
    assert "Ligne 4 : C, start : format attendu 2017-04-11 14:00." in fr
    await lyon.send(ADMIN_EN, "/language")
    await lyon.press(ADMIN_EN, "lang:en")
    en = joined(await lyon.send_file(ADMIN_EN, "bad.csv", BAD_CSV.encode()))
    assert (
        "Line 2: x1, start 2017-02-30 10:00: that date does not exist. "
        "Please check the day and month." in en
    )
    assert "Line 2: x1: unknown venue nowhere." in en
    assert "Line 3: B ends before it starts." in en
    assert "Line 4: The key is missing (column key)." in en
    assert "Line 4: C, end: write it like 2017-04-11 14:00." in en


async def test_session_add_says_when_a_date_does_not_exist_or_is_outside_the_mission(
    lyon: Harness,
) -> None:
    await lyon.send(ADMIN_FR, "/session_add")
    await lyon.send(ADMIN_FR, "Visite libre")
    await lyon.send(ADMIN_FR, "Free tour")
    fr = joined(await lyon.send(ADMIN_FR, "2017-02-30 10:00"))
    assert "Cette date n'existe pas. Vérifiez le jour et le mois." in fr
    assert "compris" not in fr
    fr = joined(await lyon.send(ADMIN_FR, "2017-05-30 10:00"))
    assert "pendant la mission, du dimanche 9 avril 2017 au jeudi 13 avril 2017" in fr
    await lyon.send(ADMIN_FR, "2017-04-12 21:00")
    fr = joined(await lyon.send(ADMIN_FR, "2017-02-30 22:00"))
    assert "Cette date n'existe pas." in fr
    assert "Choisissez le lieu, ou passez" in joined(await lyon.send(ADMIN_FR, "23:00"))
    await lyon.send(ADMIN_FR, "/cancel")
    await lyon.send(ADMIN_EN, "/language")
    await lyon.press(ADMIN_EN, "lang:en")
    await lyon.send(ADMIN_EN, "/session_add")
    await lyon.send(ADMIN_EN, "Visite")
    await lyon.send(ADMIN_EN, "Visit")
    en = joined(await lyon.send(ADMIN_EN, "2017-02-30 10:00"))
    assert "That date does not exist. Please check the day and month." in en
    assert "did not understand that time" in joined(await lyon.send(ADMIN_EN, "soon"))


ONE_CHANGE_CSV = (
    "key;title_fr;title_en;start;end;venue;room;kind\n"
    "gala-dinner;Dîner de gala;Gala dinner;2017-04-12 20:00;2017-04-12 23:00;"
    "brasserie-georges;;meal\n"
)


async def test_import_counts_agree_with_their_number(lyon: Harness) -> None:
    fr = joined(await lyon.send_file(ADMIN_FR, "a.csv", ONE_CHANGE_CSV.encode()))
    assert "Aperçu</b> : 0 nouvelle, 1 modifiée, " in fr
    assert " retirées, 0 inchangée." in fr
    assert "modifiées" not in fr.split("\n")[0]
    done = joined(await lyon.press(ADMIN_FR, "imp:ok"))
    assert "Importé : 0 nouvelle, 1 modifiée, " in done
    assert " annulées." in done
    await lyon.send(ADMIN_EN, "/language")
    await lyon.press(ADMIN_EN, "lang:en")
    en = joined(await lyon.send_file(ADMIN_EN, "a.csv", ONE_CHANGE_CSV.encode()))
    assert "Preview</b>: 0 new, 0 changed, 0 removed, 1 unchanged." in en


async def test_calendar_caption_is_singular_for_one_session(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    one = joined(await lyon.press(FR, f"ics:{gala.id}"))
    assert "ajouter la séance au calendrier" in one
    assert "add the session to your phone's calendar" in joined(
        await lyon.press(EN, f"ics:{gala.id}")
    )
    assert "ajouter les séances" in joined(await lyon.send(FR, "/ics"))
    assert "add the sessions" in joined(await lyon.send(EN, "/ics"))


async def test_flights_have_a_plane_and_shuttles_a_bus(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    monday = joined(await lyon.send(EN, "/agenda monday"))
    assert "✈ <b>2:00\u202fAM–12:45\u202fPM</b>  Flight Montréal → Lyon" in monday
    assert "🚌 <b>1:15\u202fPM–2:15\u202fPM</b>  Airport → hotel shuttle" in monday
    thursday = joined(await lyon.send(FR, "/agenda jeudi"))
    assert "✈ <b>10:05–21:10</b>  Vol Lyon → Montréal" in thursday
    assert "🚌 <b>07:30–08:30</b>  Navette hôtel → aéroport" in thursday
    flight = await item(lyon, "flight-home")
    assert joined(await lyon.press(FR, f"s:{flight.id}")).strip().startswith("✈ <b>Vol")


async def test_quotes_follow_each_language(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    await lyon.send(FR, "/ask Peut-on amener un invité ?")
    await lyon.send(EN, "/ask Can I bring a guest?")
    async with lyon.db() as session:
        ids = list(await session.scalars(select(Question.id).order_by(Question.id)))
    calls = await lyon.press(ADMIN_FR, f"qr:{ids[0]}")
    assert "«\u00a0Peut-on amener un invité ?\u00a0»" in joined(calls)
    calls = await lyon.send(ADMIN_FR, "Oui.")
    assert "«\u00a0Peut-on amener un invité ?\u00a0»" in joined(
        [c for c in calls if c.chat_id == FR.id]
    )
    calls = await lyon.press(ADMIN_FR, f"qr:{ids[1]}")
    calls = await lyon.send(ADMIN_FR, "Yes.")
    to_en = joined([c for c in calls if c.chat_id == EN.id])
    assert "“Can I bring a guest?”" in to_en
    assert "«" not in to_en


async def test_venue_list_reads_in_alphabetical_order_whatever_the_case(lyon: Harness) -> None:
    await register(lyon, EN)
    await lyon.send(EN, "/venue")
    names = [label.removeprefix("📍 ") for label in lyon.labels(EN)]
    assert names.index("bioMérieux — site de Marcy-l'Étoile") < names.index("Brasserie Georges")
    assert names.index("Bioaster — Biodistrict Lyon-Gerland") < names.index(
        "bioMérieux — site de Marcy-l'Étoile"
    )


async def test_venue_card_of_a_session_past_midnight_gives_the_day_and_its_zone(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    yul = await venue_id(lyon, "yul")
    lyon.clock.set(paris(9, 23, 40))
    fr = joined(await lyon.press(FR, f"v:{yul}"))
    assert "jusqu'à lun. 10 00:30 (dim. 9 18:30 Toronto)" in fr
    en = joined(await lyon.press(EN, f"v:{yul}"))
    assert "until Mon 10 12:30\u202fAM (Sun 9 6:30\u202fPM Toronto)" in en
