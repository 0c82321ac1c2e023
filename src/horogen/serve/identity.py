"""Who a reader is, as the server says: a signed, HttpOnly cookie for the page and the API,
the Telegram user id for the bot; never a name the client chose.

A text served to a reader carries a *ticket*, a signature of the reader and the text's key:
a verdict counts only with the ticket of a text the server served to that reader. Both
are HMACs under one key (``serve.reader_secret``, else a random key the serving database
keeps, so every replica signs alike), so checking them needs no lookup.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

COOKIE = "horogen_reader"
#: A year: a reader stays the same reader across visits.
COOKIE_AGE = 365 * 24 * 3600


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ReaderKeys:
    """Signs and checks readers' cookies and tickets with ``secret``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, *parts: str, size: int = 16) -> str:
        message = "\x1f".join(parts).encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest()[:size])

    def new_reader(self) -> str:
        return "r" + secrets.token_hex(12)

    def cookie_value(self, reader: str) -> str:
        return f"{reader}.{self._sign('reader', reader)}"

    def set_cookie(self, reader: str, *, secure: bool) -> bytes:
        """The ``Set-Cookie`` header value that names ``reader``."""
        flags = f"; Max-Age={COOKIE_AGE}; Path=/; HttpOnly; SameSite=Lax"
        return f"{COOKIE}={self.cookie_value(reader)}{flags}{'; Secure' if secure else ''}".encode()

    def reader_of(self, value: str | None) -> str | None:
        """The reader a cookie value names, if the server signed it."""
        if not value or "." not in value or len(value) > 128:
            return None
        reader, signature = value.rsplit(".", 1)
        return reader if hmac.compare_digest(signature, self._sign("reader", reader)) else None

    def reader_from_header(self, cookie_header: str | None) -> str | None:
        """The signed reader of a ``Cookie`` header, if any."""
        if not cookie_header or COOKIE not in cookie_header:
            return None
        try:
            morsel = SimpleCookie(cookie_header).get(COOKIE)
        except Exception:  # a malformed Cookie header names no one
            return None
        return self.reader_of(morsel.value if morsel else None)

    def ticket(
        self, reader: str, model: str, day: dt.date, category: str, sign: str, size: int = 16
    ) -> str:
        """The proof that the text of ``model``, ``day``, ``category``, ``sign`` was served
        to ``reader``."""
        return self._sign("ticket", reader, model, day.isoformat(), category, sign, size=size)

    def valid_ticket(
        self, ticket: str, reader: str, model: str, day: dt.date, category: str, sign: str
    ) -> bool:
        expected = self.ticket(reader, model, day, category, sign, size=len(ticket) * 3 // 4)
        return len(ticket) >= 10 and hmac.compare_digest(ticket, expected)

    def in_canary(self, reader: str, share: float) -> bool:
        """Whether ``reader`` is among the ``share`` of readers served the challenger: the
        same answer for the same reader every time."""
        if share <= 0:
            return False
        digest = hmac.new(self._secret, f"canary\x1f{reader}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < share


_NO_TICKET = b'"ticket":null}'


def with_ticket(body: bytes, ticket: str) -> bytes:
    """A text's rendered JSON (its ``ticket`` last and null) with ``ticket`` in it."""
    if not body.endswith(_NO_TICKET):
        raise ValueError("the rendered text has no ticket slot")
    return body[: -len(_NO_TICKET)] + b'"ticket":"' + ticket.encode() + b'"}'
