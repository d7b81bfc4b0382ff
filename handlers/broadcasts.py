"""/broadcast (a guided conversation: audience, French and English texts, when, preview,
confirm) and /deliveries (recent broadcasts, who was not reached, CSV export, stop)."""

from __future__ import annotations

import contextlib
import html
import re
import warnings
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.commands import names
from bot.context import BotContext
from bot.i18n import escape, format_clock, format_moment, get_locale, render
from bot.services import agenda as svc
from bot.services import broadcasts as service
from bot.services.dates import local_instant, parse_clock
from bot.services.profile import clean_text
from handlers.agenda import expired
from handlers.common import (
    Handlers,
    answer,
    button_data,
    edit_or_send,
    inline,
    restricted,
    say,
    send,
)
from handlers.editing import staff_mission
from handlers.questions import plain_text
from models import BroadcastStatus, Role

AUDIENCE, TEXT_FR, TEXT_EN, ATTACH, WHEN, WHEN_TIME, CONFIRM, NAMES = range(8)
DRAFT = "broadcast"
NEW = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    return draft if isinstance(draft, dict) else {}


@restricted(Role.COORDINATOR)
async def start(update: Update, context: BotContext) -> int:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = {"mission_id": viewer.mission.id, "timezone": viewer.timezone}
    rows = [
        [(render("Everyone confirmed"), "ba:confirmed")],
        [(render("Waiting for approval"), "ba:pending")],
        [(render("Coordinators only"), "ba:coordinators")],
        [(render("Some people, by name…"), "ba:named")],
    ]
    rows += [
        [(render("Tag: %(tag)s", tag=tag), f"ba:tag:{tag}")]
        for tag in (await service.tags_of(context.db, viewer.mission.id))[:10]
    ]
    await say(update, "Who should receive it?", inline(rows))
    return AUDIENCE


async def choose_audience(update: Update, context: BotContext) -> int:
    match = re.fullmatch(
        r"ba:(confirmed|pending|coordinators|tag|named)(?::([\w-]{1,60}))?", button_data(update)
    )
    draft = _draft(context)
    await answer(update)
    if match is None or not draft or (match[1] == "tag" and not match[2]):
        await expired(update)
        return ConversationHandler.END
    draft["audience"], draft["value"] = match[1], match[2]
    if match[1] == "named":
        await say(update, "Type their names, separated by commas (part of a name is enough).")
        return NAMES
    await say(update, "Send the message in French (or the one text for everyone).")
    return TEXT_FR


async def receive_names(update: Update, context: BotContext) -> int:
    assert update.message is not None
    draft = _draft(context)
    if draft.get("audience") != "named":
        return await _gone(update, context)
    found = await service.find_delegates(context.db, draft["mission_id"], update.message.text or "")
    if not found:
        await say(update, "Nobody registered by that name. Try again, or /cancel.")
        return NAMES
    draft["value"] = ",".join(str(delegate_id) for delegate_id, _name in found)
    names_list = ", ".join(name for _id, name in found)
    await say(update, "Recipients: %(names)s.", names=names_list)
    await say(update, "Send the message in French (or the one text for everyone).")
    return TEXT_FR


async def _gone(update: Update, context: BotContext) -> int:
    """The draft was dropped (another command): read the text as a question instead."""
    await answer(update)
    if update.message is not None:
        await plain_text(update, context)
    return ConversationHandler.END


async def receive_french(update: Update, context: BotContext) -> int:
    assert update.message is not None
    draft = _draft(context)
    if "audience" not in draft:
        return await _gone(update, context)
    text = clean_text(update.message.text_html or "")  # keeps the coordinator's bold/italic
    if not _fits(text):
        await say(update, "Please send between 1 and %(max)s characters.", max=service.MAX_TEXT)
        return TEXT_FR
    draft["fr"] = text
    keyboard = inline([[(render("Same text for everyone"), "bs:same")]])
    await say(
        update, "Now the English version, or tap the button to send the same text to all.", keyboard
    )
    return TEXT_EN


async def receive_english(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    if "fr" not in draft:
        return await _gone(update, context)
    if update.callback_query is not None:
        await answer(update)
        draft["en"] = draft.get("fr", "")
    else:
        assert update.message is not None
        text = clean_text(update.message.text_html or "")
        if not _fits(text):
            await say(update, "Please send between 1 and %(max)s characters.", max=service.MAX_TEXT)
            return TEXT_EN
        draft["en"] = text
    keyboard = inline(
        [[(render("📍 A venue pin"), "bm:venue")], [(render("No attachment"), "bm:none")]]
    )
    await say(
        update,
        "Attach something? Send a photo or a document now, or pick a venue pin, or none.",
        keyboard,
    )
    return ATTACH


async def receive_attachment(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    if "en" not in draft:
        return await _gone(update, context)
    message = update.message
    if message is not None and message.photo:
        draft["media"] = {"type": "photo", "file_id": message.photo[-1].file_id}
    elif message is not None and message.document is not None:
        draft["media"] = {"type": "document", "file_id": message.document.file_id}
    elif update.callback_query is not None:
        await answer(update)
        choice = button_data(update)
        if choice == "bm:venue":
            found = await svc.viewer(context.db, context.me, draft["mission_id"])
            places = await svc.venues(context.db, found) if isinstance(found, svc.Viewer) else []
            rows = [[(f"📍 {v.name[:50]}", f"bv:{v.id}")] for v in places if v.latitude is not None]
            await say(update, "Which place?", inline(rows))
            return ATTACH
        if choice.startswith("bv:") and choice[3:].isdigit():
            place = await svc.venue_for(context.db, context.me, int(choice[3:]))
            if place is None or place[0].mission.id != draft["mission_id"]:
                await expired(update)
                return ConversationHandler.END
            venue = place[1]
            draft["media"] = {
                "type": "venue", "latitude": venue.latitude, "longitude": venue.longitude,
                "title": venue.name, "address": venue.address,
            }  # fmt: skip
        else:
            draft["media"] = None
    keyboard = inline([[(render("Send now"), "bw:now"), (render("Later today…"), "bw:later")]])
    await say(update, "When?", keyboard)
    return WHEN


async def choose_when(update: Update, context: BotContext) -> int:
    if "en" not in _draft(context):
        return await _gone(update, context)
    await answer(update)
    if button_data(update) == "bw:later":
        await say(update, "At what time, in the mission's time zone? For example 18:00.")
        return WHEN_TIME
    _draft(context)["send_at"] = None
    return await _preview(update, context)


async def receive_time(update: Update, context: BotContext) -> int:
    assert update.message is not None
    draft = _draft(context)
    if "en" not in draft:
        return await _gone(update, context)
    wall = parse_clock(update.message.text or "")
    zone = draft.get("timezone", "UTC")
    now = context.clock.now()
    found = await svc.viewer(context.db, context.me, draft.get("mission_id"))
    today = found.calendar.today(now) if isinstance(found, svc.Viewer) else now.date()
    when = local_instant(today, wall, zone) if wall else None
    if when is not None and when <= now:
        when = local_instant(today + timedelta(days=1), wall, zone) if wall else None
    if when is None:
        await say(update, "I did not understand that time. Try 18:00 or 9:30.")
        return WHEN_TIME
    draft["send_at"] = when
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    size = await service.audience_size(
        context.db, draft["mission_id"], draft["audience"], draft.get("value")
    )
    if size.total == 0:
        assert context.user_data is not None
        context.user_data.pop(DRAFT, None)
        await say(update, "Nobody is in this audience yet: nothing to send.")
        return ConversationHandler.END
    when = (
        format_moment(draft["send_at"], draft["timezone"])
        if draft.get("send_at")
        else render("now")
    )
    lines = [
        render(
            "<b>Preview</b> · recipients: %(total)s (French: %(fr)s, English: %(en)s) · %(when)s",
            total=size.total,
            fr=size.french,
            en=size.english,
            when=when,
        ),
        "",
        "🇫🇷 " + draft["fr"],
        "",
        "🇬🇧 " + draft["en"],
    ]
    media = draft.get("media") or {}
    if media:
        labels = {"photo": render("📎 with a photo"), "document": render("📎 with a document")}
        lines += ["", labels.get(media["type"], f"📍 {escape(media.get('title', ''))}")]
    keyboard = inline([[(render("✅ Send"), "bk:send"), (render("✖ Cancel"), "bk:cancel")]])
    text = "\n".join(lines)
    if len(text) > 4000:
        # Never split inside the coordinator's formatting: one message per language.
        await send(update, lines[0])
        await send(update, "🇫🇷 " + draft["fr"])
        await send(update, "\n".join(lines[4:]), keyboard)
    else:
        await send(update, text, keyboard)
    return CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    if button_data(update) != "bk:send" or not draft.get("en"):
        await edit_or_send(update, render("Cancelled: nothing was sent."))
        return ConversationHandler.END
    await answer(update)
    # The progress message exists before the broadcast, so the sender always finds it.
    if draft.get("send_at"):
        first = render(
            "<b>Scheduled</b> for %(when)s.",
            when=format_moment(draft["send_at"], draft["timezone"]),
        )
    else:
        first = render("<b>Sending…</b> the first messages are leaving.")
    message = await send(update, first)
    created = await service.create(
        context.db, context.clock, context.me, draft["mission_id"], draft["audience"],
        draft.get("value"), draft["fr"], draft["en"], draft.get("send_at"), draft.get("media"),
        (message.chat_id, message.message_id) if message is not None else None,
    )  # fmt: skip
    if created is None:
        await expired(update)
    return ConversationHandler.END


async def cancel_draft(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    await say(update, "Cancelled: nothing was sent.")
    return ConversationHandler.END


def _short_moment(moment: datetime, timezone: str, locale: str) -> str:
    """'25 nov. 14:42' / 'Nov 25 2:42 PM', for a button."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = format_skeleton("MMMd", local, locale=locale)
    return f"{day} {format_clock(moment, timezone, locale)}"


def _plain(html_text: str) -> str:
    """A button label is plain text: drop tags, undo entities."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _fits(text: str) -> bool:
    return 0 < len(text) <= service.MAX_TEXT


# --- /deliveries -------------------------------------------------------------------------


@restricted(Role.COORDINATOR)
async def deliveries(update: Update, context: BotContext) -> None:
    recent = await service.recent(context.db, context.me)
    if not recent:
        await say(update, "No broadcast yet. Send /broadcast to write one.")
        return
    locale = get_locale()
    rows = [
        [
            (
                # A button label is plain text: nothing to escape, nothing to translate.
                f"{_short_moment(p.created_at, p.timezone, locale)} · {p.sent}/{p.total}"
                f" · {_plain(p.snippet_fr if locale == 'fr' else p.snippet)}"[:64],
                f"bd:{p.broadcast_id}",
            )
        ]
        for p in recent
    ]
    await say(update, "Recent broadcasts: tap one for its details.", inline(rows))


@restricted(Role.COORDINATOR)
async def delivery_detail(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"b([dxc]):(\d+)", button_data(update))
    found = await service.detail(context.db, context.me, int(match[2])) if match else None
    if match is None or found is None:
        await expired(update)
        return
    state, problems = found
    await answer(update)
    if match[1] == "x":
        chat = update.effective_chat
        assert chat is not None
        await chat.send_document(
            InputFile(
                BytesIO(service.problems_csv(problems)),
                filename=f"broadcast-{state.broadcast_id}.csv",
            )
        )
        return
    if match[1] == "c":
        if state.status != BroadcastStatus.SENDING:
            await say(update, "This broadcast has already finished.")
            return
        stopped = await service.cancel(context.db, context.clock, context.me, state.broadcast_id)
        await say(update, "Stopped. Messages not sent: %(n)s.", n=stopped or 0)
        found = await service.detail(context.db, context.me, state.broadcast_id)
        if found is not None and state.chat_id and state.message_id:
            with contextlib.suppress(TelegramError):  # the progress message may be gone
                await context.bot.edit_message_text(
                    service.progress_text(found[0], get_locale(), context.settings.broadcast_rate),
                    chat_id=state.chat_id,
                    message_id=state.message_id,
                )
        return
    lines = [service.progress_text(state, get_locale(), context.settings.broadcast_rate)]
    if problems:
        lines += ["", render("<b>Not reached</b>:")]
        labels = {"blocked": render("blocked"), "failed": render("failed")}
        lines += [
            f"• {escape(name)} — {labels.get(status, escape(status))} {escape(reason[:60])}"
            for name, status, reason in problems[:20]
        ]
    buttons = [(render("⬇ CSV"), f"bx:{state.broadcast_id}")]
    if not state.finished:
        buttons.append((render("✖ Stop sending"), f"bc:{state.broadcast_id}"))
    await send(update, "\n".join(lines), inline([buttons]))


def conversation() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[CommandHandler(names("broadcast"), start)],
            states={
                AUDIENCE: [CallbackQueryHandler(choose_audience, pattern=r"^ba:")],
                NAMES: [MessageHandler(NEW, receive_names)],
                TEXT_FR: [MessageHandler(NEW, receive_french)],
                TEXT_EN: [
                    MessageHandler(NEW, receive_english),
                    CallbackQueryHandler(receive_english, pattern=r"^bs:same$"),
                ],
                ATTACH: [
                    MessageHandler(
                        filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL),
                        receive_attachment,
                    ),
                    CallbackQueryHandler(receive_attachment, pattern=r"^b[mv]:"),
                ],
                WHEN: [CallbackQueryHandler(choose_when, pattern=r"^bw:(now|later)$")],
                WHEN_TIME: [MessageHandler(NEW, receive_time)],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^bk:(send|cancel)$")],
            },
            fallbacks=[CommandHandler(names("cancel"), cancel_draft)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=30),
            name="broadcast",
        )


HANDLERS: Handlers = [
    CommandHandler(names("deliveries"), deliveries),
    CallbackQueryHandler(delivery_detail, pattern=r"^b[dxc]:\d+$"),
]
