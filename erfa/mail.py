"""Outgoing mail: through `ERFA_SMTP_URL`, or as `.eml` files in the data folder's outbox.

`ERFA_SMTP_URL` is `smtp://[user:password@]host[:port]` (STARTTLS when the server offers
it), or `smtps://…` for TLS from the start.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from erfa.settings import Settings

SENDER_NAME = "erfa"


def send(settings: Settings, message: EmailMessage) -> None:
    host = urlsplit(settings.base_url).hostname or "localhost"
    message["From"] = message.get("From") or f"{SENDER_NAME} <no-reply@{host}>"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=host)
    if not settings.smtp_url:
        settings.outbox_dir.mkdir(parents=True, exist_ok=True)
        path = settings.outbox_dir / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        return
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ValueError("ERFA_SMTP_URL must look like smtp://host:port or smtps://host:port")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(url.hostname, url.port or 465, context=context, timeout=30)
    else:
        client = smtplib.SMTP(url.hostname, url.port or 25, timeout=30)
    with client:
        if url.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)


def send_invitation(settings: Settings, *, to: str, name: str, link: str) -> None:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Inbjudan till erfa / Invitation to erfa"
    message.set_content(
        f"Hej {name}!\n\n"
        "Du är inbjuden till erfa, forumet för Bergslagens erfarenhetsgrupper.\n"
        f"Skapa ditt konto via länken nedan. Den fungerar en gång och i sju dagar.\n\n{link}\n\n"
        "---\n\n"
        f"Hello {name},\n\n"
        "You are invited to erfa, the forum of Bergslagen's experience groups.\n"
        f"Set up your account with the link below. It works once, for seven days.\n\n{link}\n"
    )
    send(settings, message)
