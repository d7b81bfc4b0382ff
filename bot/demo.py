"""`missionbot demo`: the real Application driven from this terminal, no token, no network.

The person types as a delegate; replies and their buttons are printed, buttons numbered.
Lines starting with ':' are for the demo itself (see DEMO_HELP). When stdin is not a
terminal, lines are read from it and echoed, so a script (or a test) can drive a session.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update

from bot.app import build_application, flush_outbox, shutdown, startup
from bot.clock import Clock, RehearsalClock, SystemClock
from bot.config import Settings
from bot.context import BotApplication
from bot.offline import BOT_USER, ApiCall, OfflineBotAPI
from bot.outbox import Pacer
from bot.services.mission_file import MissionFileError, load_mission_file, parse_mission_file
from bot.services.reminders import LOOKAHEAD, enqueue_due

EXAMPLE_NAME = "lyon-2017.yaml"

DEMO_HELP = """\
Type as the delegate would: /start BIOVISION2017, /help, /language, plain text...
  #2          press button 2 of the last message (inline or keyboard button)
  :fr         talk as Camille, a French-speaking delegate (Telegram in fr-CA)
  :en         talk as Alex, an English-speaking delegate
  :admin      talk as Dominique, an admin
  :contact    share the current persona's phone number
  :location 45.7578 4.8320   share a location (a venue's map pin)
  :time       the mission time   :ff 30m   fast-forward (with --clock; also 2h, 1d)
  :help       this help        :quit   leave (Ctrl-D works too)"""


@dataclass
class Persona:
    key: str
    user_id: int
    first_name: str
    last_name: str
    language_code: str
    phone: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    buttons_message: dict[str, Any] | None = None

    def user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": self.language_code,
        }


PERSONAS = {
    "fr": Persona("fr", 1001, "Camille", "Tremblay", "fr-CA", "+15145550101"),
    "en": Persona("en", 1002, "Alex", "Morgan", "en-US", "+15145550102"),
    "admin": Persona("admin", 1003, "Dominique", "Roy", "fr", "+15145550103"),
}


def find_example() -> Path | None:
    """The Lyon example, shipped as package data so the demo works from any install."""
    import examples

    candidate = Path(examples.__file__).resolve().parent / EXAMPLE_NAME
    return candidate if candidate.exists() else None


def to_terminal(text: str, bold: bool) -> str:
    """Telegram HTML to terminal text."""
    on, off = ("\033[1m", "\033[0m") if bold else ("", "")
    text = re.sub(r"</?(b|strong)>", lambda m: off if m.group(0).startswith("</") else on, text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


class Demo:
    def __init__(self, out: Any, interactive: bool, clock: Clock) -> None:
        self.out = out
        self.clock = clock
        self.timezone = "UTC"
        self.interactive = interactive
        self.persona = PERSONAS["en"]
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def on_call(self, call: ApiCall) -> None:
        """Show what the bot sends, as a phone would, and remember its buttons."""
        persona = next((p for p in PERSONAS.values() if p.user_id == call.chat_id), None)
        if persona is None or call.result is None:
            return
        if call.method in {"sendMessage", "editMessageText"}:
            prefix = "bot ✎" if call.method == "editMessageText" else "bot"
            self.print(f"  [{prefix} → {persona.first_name}]")
            for line in to_terminal(call.text, self.interactive).split("\n"):
                self.print(f"  │ {line}")
        elif call.method == "editMessageReplyMarkup":
            pass
        else:
            self.print(f"  [bot → {persona.first_name}: {call.method}]")
        markup = call.reply_markup
        if markup is None:
            if call.method == "editMessageReplyMarkup":
                persona.buttons = []
            return
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            persona.buttons_message = call.result if isinstance(call.result, dict) else None
        elif "keyboard" in markup:
            rows = [
                [b if isinstance(b, dict) else {"text": b} for b in row]
                for row in markup["keyboard"]
            ]
            persona.buttons_message = None
        else:
            return
        persona.buttons = [b for row in rows for b in row]
        number = itertools.count(1)
        for row in rows:  # one line per keyboard row, as the phone lays them out
            self.print("  │ " + "  ".join(f"[#{next(number)} {b['text']}]" for b in row))

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "chat": {"id": self.persona.user_id, "type": "private"},
            "from": self.persona.user(),
            **content,
        }

    def text_update(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self.update_ids), "message": self._message(**content)}

    def contact_update(self) -> dict[str, Any]:
        p = self.persona
        contact = {
            "phone_number": p.phone.lstrip("+"),
            "first_name": p.first_name,
            "last_name": p.last_name,
            "user_id": p.user_id,
        }
        return {"update_id": next(self.update_ids), "message": self._message(contact=contact)}

    def press(self, number: int) -> dict[str, Any] | None:
        p = self.persona
        if not 1 <= number <= len(p.buttons):
            self.print(f"  (no button #{number}; the last message has {len(p.buttons)})")
            return None
        button = p.buttons[number - 1]
        if "callback_data" in button:
            return {
                "update_id": next(self.update_ids),
                "callback_query": {
                    "id": str(next(self.update_ids)),
                    "from": p.user(),
                    "chat_instance": f"demo-{p.user_id}",
                    "data": button["callback_data"],
                    "message": p.buttons_message,
                },
            }
        if button.get("request_contact"):
            return self.contact_update()
        return self.text_update(button["text"])

    def print_time(self) -> None:
        local = self.clock.now().astimezone(ZoneInfo(self.timezone))
        self.print(f"  (mission time is now {local:%Y-%m-%d %H:%M} {self.timezone})")

    def interpret(self, line: str) -> dict[str, Any] | timedelta | bool | None:
        """An update to process, a time to fast-forward, None for nothing to send, False
        to stop."""
        line = line.strip()
        if not line:
            return None
        if line in {":quit", ":q", ":exit"}:
            return False
        if line == ":help":
            self.print(DEMO_HELP)
            return None
        if line[1:] in PERSONAS and line.startswith(":"):
            self.persona = PERSONAS[line[1:]]
            p = self.persona
            self.print(
                f"  (now talking as {p.first_name} {p.last_name}, Telegram in {p.language_code})"
            )
            return None
        if line == ":time" or line.startswith(":ff"):
            delta = parse_duration(line[3:]) if line.startswith(":ff") else timedelta(0)
            if delta is None or not isinstance(self.clock, RehearsalClock):
                self.print("  (fast-forward needs --clock, and a duration like :ff 30m, 2h or 1d)")
                return None
            if not delta:
                self.print_time()
                return None
            return delta
        if line == ":contact":
            return self.contact_update()
        if line.startswith(":location"):
            numbers = re.findall(r"-?\d+(?:\.\d+)?", line)
            if len(numbers) != 2:
                self.print("  (:location needs a latitude and a longitude: :location 45.75 4.83)")
                return None
            where = {"latitude": float(numbers[0]), "longitude": float(numbers[1])}
            return {"update_id": next(self.update_ids), "message": self._message(location=where)}
        if re.fullmatch(r"#\d+", line):
            return self.press(int(line[1:]))
        if line.startswith(":"):
            self.print("  (unknown demo command; :help lists them)")
            return None
        return self.text_update(line)


def rehearsal_clock(text: str | None, mission_file: Path | None) -> Clock:
    """`--clock 2017-04-10T07:00`: that wall time in the mission's zone, then time flows."""
    if not text:
        return SystemClock()
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--clock: {text!r} is not a date-time like 2017-04-10T07:00") from None
    if start.tzinfo is None:
        zone = parse_mission_file(mission_file).mission.timezone if mission_file else "UTC"
        start = start.replace(tzinfo=ZoneInfo(zone))
    return RehearsalClock(start)


def parse_duration(text: str) -> timedelta | None:
    match = re.fullmatch(r"(\d+)\s*([mhd])", text.strip().lower())
    if not match:
        return None
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


async def run_demo(
    settings: Settings,
    mission_file: Path | None,
    database_url: str | None,
    clock_text: str | None = None,
) -> int:
    out = sys.stdout
    interactive = sys.stdin.isatty()
    logging.getLogger().setLevel(logging.WARNING)  # keep the conversation readable
    mission_file = mission_file or find_example()
    clock = rehearsal_clock(clock_text, mission_file)
    with tempfile.TemporaryDirectory(prefix="missionbot-demo-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        admin_id = PERSONAS["admin"].user_id
        demo_settings = settings.model_copy(
            update={
                "database_url": url,
                "telegram_bot_token": None,
                "bot_admin_ids": sorted({*settings.bot_admin_ids, admin_id}),
            }
        )
        demo = Demo(out, interactive, clock)
        api = OfflineBotAPI(on_call=demo.on_call)
        app = build_application(
            demo_settings, clock=clock, request=api, rate_limit=False, background_sender=False
        )
        async with app:
            await startup(app)
            if app.bot_data.sender is not None:  # no waiting on pacing in a terminal
                app.bot_data.sender.pacer = Pacer(rate=100_000, per_chat_interval=0, ceiling=None)
            await app.start()  # the job queue, for conversation timeouts; nothing polls
            try:
                if not await _load(demo, app, mission_file):
                    return 1
                await _converse(demo, app, interactive)
            finally:
                await app.stop()
                await shutdown(app)  # close the database before its folder goes
        demo.print("Bye.")
    return 0


async def _load(demo: Demo, app: BotApplication, mission_file: Path | None) -> bool:
    state = app.bot_data
    assert state.sessions is not None
    if mission_file is None:
        demo.print("Mission Bot demo: no mission file found; pass --mission FILE")
        return True
    try:
        report = await load_mission_file(state.sessions, state.clock, mission_file)
    except MissionFileError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return False
    demo.print(f"Mission Bot demo: {report.summary()} (from {mission_file})")
    demo.timezone = parse_mission_file(mission_file).mission.timezone
    demo.print(f"Bot: @{BOT_USER['username']}. Invite link: /start BIOVISION2017")
    demo.print(DEMO_HELP)
    return True


async def _fast_forward(demo: Demo, app: BotApplication, delta: timedelta) -> None:
    """Rehearsal: time passes in steps, and what the bot would send meanwhile (reminders,
    briefings, notices) goes out at each step, in order."""
    state = app.bot_data
    assert isinstance(demo.clock, RehearsalClock)
    assert state.sessions is not None
    remaining = delta
    while remaining > timedelta(0):
        step = min(remaining, LOOKAHEAD)
        demo.clock.advance(step)
        remaining -= step
        await enqueue_due(state.sessions, demo.clock)
        await flush_outbox(app)
    demo.print_time()


async def _converse(demo: Demo, app: BotApplication, interactive: bool) -> None:
    while True:
        prompt = f"{demo.persona.first_name}> "
        try:
            line = await asyncio.to_thread(input, prompt if interactive else "")
        except EOFError:
            break
        if not interactive:
            demo.print(f"{prompt}{line}")
        action = demo.interpret(line)
        if action is False:
            break
        if isinstance(action, timedelta):
            await _fast_forward(demo, app, action)
        if isinstance(action, dict):
            await app.process_update(Update.de_json(action, app.bot))
            await flush_outbox(app)
