"""A Bot API that never touches the network: for the demo and the tests.

It is a PTB request object, so everything above it (the Application, ExtBot, handlers,
serialisation of keyboards) runs exactly as in production. It answers each method the way
Telegram would, records every call, and can be told to fail for chosen chats.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Mission Bot",
    "username": "MissionDemoBot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None
    # Uploaded files by part name: (file name, content).
    files: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if chat is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return markup if isinstance(markup, dict) else None

    def button_data(self) -> list[str]:
        markup = self.reply_markup or {}
        return [
            b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row
        ]


def fake_result(call: ApiCall, message_ids: Iterator[int]) -> Any:
    """What Telegram answers to a successful call: a message for send/edit, True otherwise."""
    if call.method == "getMe":
        return BOT_USER
    if call.method in {"getUpdates", "getMyCommands"}:
        return []
    if call.method == "getFile":
        file_id = str(call.params.get("file_id"))
        return {"file_id": file_id, "file_unique_id": file_id, "file_path": f"documents/{file_id}"}
    if call.method.startswith(("send", "edit", "copyMessage", "forwardMessage")):
        message: dict[str, Any] = {
            "message_id": int(call.params.get("message_id") or next(message_ids)),
            "date": int(time.time()),
            "chat": {"id": call.chat_id or 0, "type": "private"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if call.reply_markup and "inline_keyboard" in call.reply_markup:
            message["reply_markup"] = call.reply_markup
        return message
    return True


# (status code, Bot API error description, retry_after) returned instead of success.
Failure = tuple[int, str, int | None]


class OfflineBotAPI(BaseRequest):
    def __init__(self, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self.calls: list[ApiCall] = []
        self.on_call = on_call
        # Chat id -> the error Telegram answers for it (status 0: a timeout); with an entry
        # in failure_times, only that many times.
        self.failures: dict[int, Failure] = {}
        self.failure_times: dict[int, int] = {}
        # Files users "uploaded", by file id, served to getFile and the download.
        self.stored_files: dict[str, bytes] = {}
        self._message_ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/" in url:  # a download of a file a user sent
            content = self.stored_files.get(url.rsplit("/", 1)[-1])
            return (200, content) if content is not None else (404, b"")
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = ApiCall(api_method, params)
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part[1], bytes) else part[1].read()
                call.files[name] = (part[0], content)
        self.calls.append(call)
        failure = self.failures.get(call.chat_id) if call.chat_id is not None else None
        if failure is not None and call.chat_id in self.failure_times:
            self.failure_times[call.chat_id] -= 1
            if self.failure_times[call.chat_id] <= 0:  # fail this many times, then succeed
                del self.failures[call.chat_id]
                del self.failure_times[call.chat_id]
        if failure is not None and failure[0] == 0:
            raise TimedOut("simulated timeout")
        if failure is not None:
            status, description, retry_after = failure
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
        else:
            call.result = self._result(call)
            status, body = 200, {"ok": True, "result": call.result}
        if self.on_call is not None:
            self.on_call(call)
        return status, json.dumps(body).encode()

    def _result(self, call: ApiCall) -> Any:
        return fake_result(call, self._message_ids)

    # --- helpers for tests and the demo -------------------------------------------------

    def sent_to(self, chat_id: int) -> list[ApiCall]:
        return [
            c for c in self.calls if c.chat_id == chat_id and c.method.startswith(("send", "edit"))
        ]

    def clear(self) -> None:
        self.calls.clear()
