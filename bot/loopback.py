"""A Bot API server on 127.0.0.1 for end-to-end tests and benchmarks of `missionbot run`.

Real HTTP, so the bot's own HTTP client (bot/transport.py), polling loop and shutdown run
as in production.
Updates are queued with `push_update`; every call is recorded with its arrival time.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.offline import ApiCall, fake_result


class LoopbackBotAPI:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token_valid: bool = True,
        responder: Callable[[ApiCall], tuple[int, dict[str, Any], float] | None] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.token_valid = token_valid
        # Seconds every call but getUpdates takes to answer: the round trip to Telegram.
        self.delay = delay
        # Decides per call to answer an error (status, body) after a delay, for failure tests.
        self.responder = responder
        self.calls: list[ApiCall] = []
        self.paths: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._message_ids = itertools.count(1)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    @property
    def file_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/file/bot"

    def __enter__(self) -> LoopbackBotAPI:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push_update(self, update: dict[str, Any]) -> None:
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def wait_for(self, method: str, timeout: float = 30.0, chat_id: int | None = None) -> ApiCall:
        """Block until the bot made such a call; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for call in self.calls:
                    if call.method == method and (chat_id is None or call.chat_id == chat_id):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {method} within {timeout} s")
                self._changed.wait(left)

    def _answer(
        self,
        path: str,
        params: dict[str, Any],
        files: dict[str, tuple[str | None, bytes]] | None = None,
    ) -> dict[str, Any]:
        method = path.rsplit("/", 1)[-1]
        if not self.token_valid:
            return {"ok": False, "error_code": 401, "description": "Unauthorized"}
        call = ApiCall(method, params, files=files or {})
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            wait = min(float(params.get("timeout") or 0), 1.0)
            with self._changed:
                self._changed.wait_for(
                    lambda: any(u["update_id"] >= offset for u in self._updates), timeout=wait
                )
                pending = [u for u in self._updates if u["update_id"] >= offset]
            # As Telegram: at most `limit` updates a call (1-100, 100 by default).
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            call.result = pending[:limit]
        else:
            override = self.responder(call) if self.responder else None
            if override is not None:
                status, body, delay = override
                with self._changed:
                    self.calls.append(call)
                    self.paths.append(path)
                    self._changed.notify_all()
                if delay:
                    time.sleep(delay)
                return {**body, "error_code": status} if status != 200 else body
            call.result = fake_result(call, self._message_ids)
            if self.delay:
                time.sleep(self.delay)
        with self._changed:
            self.calls.append(call)
            self.paths.append(path)
            self._changed.notify_all()
        return {"ok": True, "result": call.result}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Telegram's Bot API: a client's connection serves many calls.
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm holds
            # the second for the client's delayed ACK (40 ms) on every call.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                kind = self.headers.get("Content-Type", "")
                params: dict[str, Any] = {}
                files: dict[str, tuple[str | None, bytes]] = {}
                if kind.startswith("multipart/form-data"):
                    fields, files = _multipart(kind, raw)
                    params = {key: _value(value) for key, value in fields.items()}
                elif kind.startswith("application/json") and raw:
                    params = json.loads(raw)
                elif raw:
                    params = {key: _value(value) for key, value in parse_qsl(raw.decode())}
                body_out = api._answer(self.path, params, files)
                payload = json.dumps(body_out).encode()
                try:
                    self.send_response(int(body_out.get("error_code", 200)))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the bot stopped while a long poll was open

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def _value(text: str) -> Any:
    """A form field as the Bot API reads it: JSON when it is (numbers, keyboards), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _multipart(
    content_type: str, raw: bytes
) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    """The fields and the uploaded files (file name, content) of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        if part.get_filename() is not None:
            files[name] = (part.get_filename(), content)
        else:
            fields[name] = content.decode()
    return fields, files
