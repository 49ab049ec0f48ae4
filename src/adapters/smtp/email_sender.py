"""`EmailSender` over SMTP with aiosmtplib: `smtp://` (STARTTLS when offered) or `smtps://`."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib

from adapters.in_process.no_tracer import NoTracer
from application.errors import EmailDeliveryFailed
from application.ports.email import EmailMessage
from application.ports.tracing import Tracer

DEFAULT_SENDER = "Billing <billing@localhost>"


@dataclass(frozen=True, slots=True, repr=False)
class SmtpServer:
    host: str
    port: int | None  # None: aiosmtplib's default for the mode (25, or 465 with implicit TLS)
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '(none)'}://")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("SMTP_URL has an invalid port") from None
        if not parts.hostname:
            raise ValueError("SMTP_URL has no host")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __repr__(self) -> str:  # never the password
        where = f"{self.host}:{self.port or 'default'}"
        return f"SmtpServer({where}, tls={self.implicit_tls}, user={self.username})"


class SmtpEmailSender:
    def __init__(
        self,
        url: str,
        sender: str = DEFAULT_SENDER,
        *,
        timeout: float = 10.0,
        tls_context: ssl.SSLContext | None = None,  # e.g. to trust a private CA; default: system CAs
        tracer: Tracer | None = None,  # no maintained instrumentation of aiosmtplib: a span of our own
    ) -> None:
        self._server = SmtpServer.from_url(url)
        self._tracer = tracer or NoTracer()
        self._sender = sender
        self._timeout = timeout
        self._tls_context = tls_context
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"

    def __repr__(self) -> str:
        return f"SmtpEmailSender({self._server!r}, sender={self._sender!r})"

    async def send(self, message: EmailMessage) -> None:
        server = self._server
        where: dict[str, str | int] = {
            "server.address": server.host,
            "server.port": server.port or (465 if server.implicit_tls else 25),
        }
        try:
            with self._tracer.span("smtp send", where):
                await self._send(message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Only the exception's class and SMTP code: server replies may echo what we sent.
            code = getattr(exc, "code", None)
            reason = type(exc).__name__ + (f" {code}" if code else "")
            raise EmailDeliveryFailed(
                f"SMTP delivery via {server.host}:{server.port or 'default'} failed ({reason})"
            ) from exc

    async def _send(self, message: EmailMessage) -> None:
        server = self._server
        await aiosmtplib.send(
            self.build(message),
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.implicit_tls,
            start_tls=False if server.implicit_tls else None,  # None: STARTTLS when offered
            timeout=self._timeout,
            tls_context=self._tls_context,
        )

    def build(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self._sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(usegmt=True)
        mime["Message-ID"] = self._message_id(message.idempotency_key)
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _message_id(self, idempotency_key: str | None) -> str:
        if idempotency_key is None:
            return make_msgid(domain=self._domain)
        # Same effect, same Message-ID: a receiving system can drop a redelivery. Hashed so the
        # key's content (ids) does not leak into headers and any key fits the header's syntax.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
        return f"<{digest}@{self._domain}>"
