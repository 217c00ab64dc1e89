"""Outgoing mail: through `ERFA_SMTP_URL`, or as `.eml` files in the data folder's outbox.

`ERFA_SMTP_URL` is `smtp://[user:password@]host[:port]` (STARTTLS when the server offers
it), or `smtps://…` for TLS from the start.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2

from domain.outbox import Mail
from erfa.settings import Settings

log = logging.getLogger("erfa.mail")

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


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "web/templates/mail"),
    autoescape=False,  # plain text mail  # noqa: S701
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


_html_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "web/templates/mail"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

LINKED = ("path", "calendar_path", "settings_path", "unsubscribe_path")
"""Context keys holding a path in erfa: each becomes a link (`path` → `link`, …)."""


def render(mail: Mail, base_url: str) -> EmailMessage:
    """The message of a queued mail: the template's first line is its subject. A mail
    with an HTML template (`.html` beside the `.txt`) carries both; one with an
    `unsubscribe_path` carries the one-click unsubscribe headers of RFC 8058."""
    locale = mail.locale if mail.locale in ("sv", "en") else "sv"
    base = base_url.rstrip("/")
    context = dict(mail.context, base=base)
    for key in LINKED:  # a path in erfa becomes a link
        if key in context:
            context[key.replace("path", "link")] = base + context.pop(key)
    text = _templates.get_template(f"{mail.template}.{locale}.txt").render(context)
    subject, _, body = text.partition("\n")
    message = EmailMessage()
    message["To"] = mail.to
    message["Subject"] = subject.strip()
    message.set_content(body.lstrip("\n"))
    try:
        html = _html_templates.get_template(f"{mail.template}.{locale}.html")
    except jinja2.TemplateNotFound:
        html = None
    if html is not None:
        message.add_alternative(html.render(context, subject=subject.strip()), subtype="html")
    if "unsubscribe_link" in context:
        message["List-Unsubscribe"] = f"<{context['unsubscribe_link']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def send_queued(settings: Settings, mails: list[Mail]) -> list[str]:
    """Send each mail; returns the errors, one line per mail that could not go out."""
    errors = []
    for mail in mails:
        try:
            send(settings, render(mail, settings.base_url))
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            log.error("mail %s to %s not sent: %s", mail.template, mail.to, exc)
            errors.append(f"{mail.template} to {mail.to}: {exc}")
    return errors
