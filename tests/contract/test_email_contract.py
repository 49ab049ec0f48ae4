"""The `EmailSender` contract, run against the in-memory sink and SMTP (a local aiosmtpd server)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.in_memory.email import InMemoryEmailSender
from adapters.in_process.log_email import LogEmailSender
from adapters.smtp.email_sender import SmtpEmailSender
from application.errors import EmailDeliveryFailed
from application.ports.email import EmailMessage, EmailSender

SENDERS = ["in_memory_email", "smtp_email"]
SENDER = "Billing <billing@example.test>"
RECEIPT = EmailMessage(
    to="buyer@example.test",
    subject="Your order is confirmed",
    text="Thank you for your order.",
    html="<p>Thank you for your <b>order</b>.</p>",
    idempotency_key="order_1:captured",
)
PASSWORD = "s3cret p@ss"


@dataclass(frozen=True)
class Received:
    sender: str
    to: str
    subject: str
    text: str
    html: str | None


@dataclass
class EmailUnderTest:
    sender: EmailSender
    received: Callable[[], list[Received]]
    break_delivery: Callable[[], None]  # the next send cannot be delivered


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """aiosmtpd handler keeping every message it accepted, and who logged in."""

    def __init__(self) -> None:
        self.messages: list[MimeMessage] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"billing",
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp_server_with_auth() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def _as_received(mime: MimeMessage) -> Received:
    text_part = mime.get_body(preferencelist=("plain",))
    html_part = mime.get_body(preferencelist=("html",))
    return Received(
        sender=str(mime["From"]),
        to=str(mime["To"]),
        subject=str(mime["Subject"]),
        text=text_part.get_content().strip() if text_part else "",
        html=html_part.get_content().strip() if html_part else None,
    )


@pytest.fixture
def in_memory_email() -> EmailUnderTest:
    sink = InMemoryEmailSender()

    def received() -> list[Received]:
        return [Received(SENDER, m.to, m.subject, m.text, m.html) for m in sink.sent]

    return EmailUnderTest(sink, received, lambda: sink.fail_next(1))


@pytest.fixture
def smtp_email(smtp_server: tuple[Inbox, int]) -> EmailUnderTest:
    inbox, port = smtp_server
    holder: dict[str, EmailSender] = {"sender": SmtpEmailSender(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)}

    class Switchable:
        async def send(self, message: EmailMessage) -> None:
            await holder["sender"].send(message)

    def break_delivery() -> None:  # point at a port where nobody listens
        holder["sender"] = SmtpEmailSender(f"smtp://127.0.0.1:{_free_port()}", SENDER, timeout=5)

    return EmailUnderTest(Switchable(), lambda: [_as_received(m) for m in inbox.messages], break_delivery)


@pytest.fixture(params=SENDERS)
def subject(request: pytest.FixtureRequest) -> EmailUnderTest:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_a_sent_message_arrives_with_its_text_and_html(subject: EmailUnderTest) -> None:
    await subject.sender.send(RECEIPT)

    assert subject.received() == [
        Received(
            sender=SENDER,
            to="buyer@example.test",
            subject="Your order is confirmed",
            text="Thank you for your order.",
            html="<p>Thank you for your <b>order</b>.</p>",
        )
    ]


async def test_a_text_only_message_arrives_without_html(subject: EmailUnderTest) -> None:
    await subject.sender.send(EmailMessage(to="a@example.test", subject="Hi", text="Plain."))

    [received] = subject.received()
    assert received.text == "Plain."
    assert received.html is None


async def test_an_undeliverable_message_raises_and_arrives_nowhere(subject: EmailUnderTest) -> None:
    subject.break_delivery()

    with pytest.raises(EmailDeliveryFailed):
        await subject.sender.send(RECEIPT)

    assert subject.received() == []


# --- in-memory specifics -------------------------------------------------------------------------


async def test_the_in_memory_sink_fails_exactly_the_sends_it_was_told_to() -> None:
    sink = InMemoryEmailSender()
    sink.fail_next(2)
    for _ in range(2):
        with pytest.raises(EmailDeliveryFailed):
            await sink.send(RECEIPT)
    await sink.send(RECEIPT)
    assert sink.sent == [RECEIPT]


# --- SMTP specifics ------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH")
async def test_smtp_logs_in_with_the_credentials_in_the_url(smtp_server_with_auth: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server_with_auth
    sender = SmtpEmailSender(f"smtp://billing:s3cret%20p%40ss@127.0.0.1:{port}", SENDER, timeout=5)

    await sender.send(RECEIPT)

    assert inbox.logins == ["billing"]
    assert [str(m["To"]) for m in inbox.messages] == ["buyer@example.test"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH")
async def test_refused_credentials_fail_delivery_without_showing_the_password(
    smtp_server_with_auth: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server_with_auth
    sender = SmtpEmailSender(f"smtp://billing:wrong%20p%40ss@127.0.0.1:{port}", SENDER, timeout=5)

    with pytest.raises(EmailDeliveryFailed) as failure:
        await sender.send(RECEIPT)

    assert "wrong p@ss" not in str(failure.value)
    assert inbox.messages == []


async def test_a_server_that_is_down_fails_delivery_without_showing_the_password() -> None:
    sender = SmtpEmailSender(f"smtp://billing:s3cret%20p%40ss@127.0.0.1:{_free_port()}", SENDER, timeout=2)

    with pytest.raises(EmailDeliveryFailed) as failure:
        await sender.send(RECEIPT)

    assert PASSWORD not in str(failure.value)
    assert "s3cret" not in str(failure.value)
    assert "s3cret" not in repr(sender)


async def test_the_same_effect_gets_the_same_message_id(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    sender = SmtpEmailSender(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)

    await sender.send(RECEIPT)
    await sender.send(RECEIPT)
    await sender.send(EmailMessage(to="buyer@example.test", subject="Other", text="x", idempotency_key="k2"))
    await sender.send(EmailMessage(to="buyer@example.test", subject="No key", text="x"))

    ids = [str(m["Message-ID"]) for m in inbox.messages]
    assert ids[0] == ids[1]
    assert len(set(ids)) == 3
    assert all(i.startswith("<") and i.endswith("@example.test>") for i in ids)


@pytest.fixture
def self_signed_certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.mark.filterwarnings("ignore:Requiring AUTH")
async def test_smtp_upgrades_with_starttls_when_the_server_offers_it(
    self_signed_certificate: tuple[Path, Path],
) -> None:
    cert_path, key_path = self_signed_certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    inbox, port = Inbox(), _free_port()
    # require_starttls: the server refuses AUTH and MAIL until the connection is upgraded.
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        sender = SmtpEmailSender(
            f"smtp://billing:s3cret%20p%40ss@127.0.0.1:{port}",
            SENDER,
            timeout=5,
            tls_context=ssl.create_default_context(cafile=str(cert_path)),
        )
        await sender.send(RECEIPT)
    finally:
        controller.stop()

    assert inbox.logins == ["billing"]
    assert [str(m["Subject"]) for m in inbox.messages] == [RECEIPT.subject]


@pytest.mark.parametrize("url", ["http://mail.example.test", "smtp://", "smtp://host:notaport", "mail.example.test"])
def test_an_smtp_url_that_is_not_smtp_or_smtps_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpEmailSender(url)


def test_smtps_urls_mean_implicit_tls() -> None:
    sender = SmtpEmailSender("smtps://user:pw@mail.example.test")
    assert "tls=True" in repr(sender)
    assert "pw" not in repr(sender).replace("SmtpServer", "")


# --- the log sender ------------------------------------------------------------------------------


async def test_the_log_sender_writes_one_info_record_with_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="billing.email"):
        await LogEmailSender(SENDER).send(RECEIPT)

    [record] = caplog.records
    assert record.name == "billing.email"
    assert record.levelno == logging.INFO
    assert (record.email_to, record.email_subject, record.email_text) == (  # type: ignore[attr-defined]
        RECEIPT.to,
        RECEIPT.subject,
        RECEIPT.text,
    )
