"""uvicorn's httptools protocol with a bound on each request's head (request line and headers).

httptools buffers a head of any size (a 20 MB header was read and passed on), and uvicorn bounds
heads only in its h11 protocol (`h11_max_incomplete_event_size`), which answers a plain 400 and
parses in pure Python on the hot path. This keeps httptools and answers 431 problem+json, closing
the connection, once a head passes HEAD_MAX_BYTES: counted exactly from the parser's callbacks
when the head arrives whole, and from the bytes received while it is still incomplete, so a head
that never ends is cut off after one read past the bound, not buffered."""

from __future__ import annotations

import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.limits import HEAD_MAX_BYTES

log = logging.getLogger("billing.http")

_BODY = json.dumps(
    {
        "type": "https://httpstatuses.io/431",
        "title": "Request header fields too large",
        "status": 431,
        "detail": f"The request line and headers together may not exceed {HEAD_MAX_BYTES} bytes.",
    }
).encode()
_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/problem+json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


class HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing; answered with 431."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_received: int | None = 0  # bytes read while the head is incomplete; None in a body
        self._head_size = 0  # the head's parsed size: URL, header names and values
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        in_head = self._head_received is not None
        super().data_received(data)
        if in_head and self._head_received is not None and not self._refused:
            self._head_received += len(data)  # the whole read belongs to a head that has not ended
            if self._head_received > HEAD_MAX_BYTES:
                self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_received, self._head_size = 0, 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_received = None
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # A callback's exception reaches uvicorn as a parser error, which it answers with 400.
        if self._refused:
            self._answer_431()
        else:
            super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > HEAD_MAX_BYTES:
            self._refused = True
            raise HeadTooLarge

    def _refuse(self) -> None:
        self._refused = True
        self._answer_431()

    def _answer_431(self) -> None:
        log.warning("request head too large", extra={"client": self.client and self.client[0]})
        if not self.transport.is_closing():
            self.transport.write(_RESPONSE)
            self.transport.close()
