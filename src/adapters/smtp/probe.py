"""`Probe` of the SMTP server: connect (TLS as configured), log in when the URL has credentials, quit."""

from __future__ import annotations

import aiosmtplib

from adapters.smtp.email_sender import SmtpServer
from application.ports.probe import Finding


class SmtpProbe:
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._server = SmtpServer.from_url(url)
        self._timeout = timeout

    async def check(self) -> Finding:
        server = self._server
        where = f"{server.host}:{server.port or 'default port'}"
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.implicit_tls,
            start_tls=False if server.implicit_tls else None,  # None: STARTTLS when offered
            timeout=self._timeout,
        )
        try:
            await client.connect()
            if server.username and server.password:
                await client.login(server.username, server.password)
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # the class and SMTP code only: a server's reply may quote what it was sent
            code = getattr(exc, "code", None)
            return Finding("SMTP", False, f"{where} failed ({type(exc).__name__}{f' {code}' if code else ''})")
        finally:
            client.close()
        return Finding("SMTP", True, f"{where} answers" + (" and accepts the login" if server.username else ""))
