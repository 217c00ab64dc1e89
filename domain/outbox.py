"""Mail that services want sent. It waits on the session and goes out after the commit.

A service never sends mail itself: a rolled-back transaction must not leave a link in
anyone's inbox. The request (or the CLI's unit of work) sends what is queued here once
the commit has succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

_KEY = "erfa_outbox"


@dataclass(frozen=True)
class Mail:
    template: str
    to: str
    locale: str
    context: dict[str, Any] = field(default_factory=dict)


def queue(session: Session, template: str, *, to: str, locale: str, **context: Any) -> None:
    session.info.setdefault(_KEY, []).append(Mail(template, to, locale, context))


def take(session: Session) -> list[Mail]:
    mails: list[Mail] = session.info.pop(_KEY, [])
    return mails


def discard(session: Session) -> None:
    session.info.pop(_KEY, None)
