"""The bot's HTTP client for the Bot API: aiohttp, behind PTB's BaseRequest.

PTB's default, HTTPXRequest, spends about a millisecond of CPU per call on the client side
(httpx and httpcore over anyio, a socket readability check per request): with a reply per
update, as much as the whole of a bare echo bot's update, and more than most of our handlers.
aiohttp's client does the same call for about half of that (measured against the loopback
Bot API, bench/agenda_bench.py). PTB documents BaseRequest as the place for another client;
this one keeps its contract: form-encoded parameters, multipart when files are sent, PTB's
timeouts (read, connect, pool; write bounds the whole call), TimedOut and NetworkError.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults for HTTPXRequest, in seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
POOL_TIMEOUT = 1.0


# The token is in every Bot API URL, and aiohttp puts the URL in some error messages.
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s'\"]+")


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _redacted(err: Exception) -> str:
    return _TOKEN_IN_URL.sub(lambda m: f"/{m[1] or ''}bot<token>", str(err))


class AiohttpRequest(BaseRequest):
    """Up to `connections` calls at once on kept-alive connections (PTB uses 256 for the
    bot's calls and 1 for getUpdates)."""

    def __init__(self, connections: int = 256, read_timeout: float | None = READ_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        # The pool, as PTB's pool timeout waits for it (aiohttp's own wait has no limit of
        # its own): a call waits at most pool_timeout for a free connection.
        self._slots = asyncio.Semaphore(connections)
        # The proxy for each host, from HTTPS_PROXY and the like (as HTTPX honours them),
        # looked up once: aiohttp's trust_env reads the environment and ~/.netrc per call.
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        pool = _given(pool_timeout, POOL_TIMEOUT)
        parts = (read, write, connect)
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout: for a small body the sum bounds the whole call;
            # an upload may take long while it progresses, as HTTPX allows.
            total=None if files or None in parts else sum(p for p in parts if p is not None),
            connect=connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with asyncio.timeout(pool):
                await self._slots.acquire()
        except TimeoutError as err:
            raise TimedOut(
                "Pool timeout: all connections in the connection pool are occupied. "
                "Request was *not* sent to Telegram."
            ) from err
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {_redacted(err)}") from err
        finally:
            self._slots.release()

    def _proxy(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = urllib.request.getproxies()
            bypass = urllib.request.proxy_bypass(key[1]) if key[1] else True
            found = None if bypass else proxies.get(key[0]) or proxies.get("all")
            self._proxies[key] = found
        return self._proxies[key]


def _body(request_data: RequestData | None) -> Any:
    """Form fields as HTTPXRequest sends them: urlencoded, or multipart with the files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(quote_fields=False)  # file names as typed, as HTTPX sends them
    for name, value in fields.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, *mime = upload
        form.add_field(name, content, filename=filename, content_type=mime[0] if mime else None)
    return form
