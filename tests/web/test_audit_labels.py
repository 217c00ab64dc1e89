"""Every action the domain audits has words in the audit log, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain import event_reminders, webhooks
from erfa import i18n
from web.rendering import templates

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ACTION = re.compile(
    r'"((?:group|membership|join_request|municipality|theme|thread|post|flag|user|signup|token'
    r'|webhook|event|archive)\.[a-z_]+)"'
)
FILE_NAMES = {"html", "json", "txt", "css"}
"""`"thread.html"` in domain/archive.py is a template, not an act."""
NOT_ACTIONS = {*webhooks.EVENTS, webhooks.DELIVER}
"""What webhooks are told about ("post.created") and the job that tells them: names, not
audited acts."""
FLAG_ACTIONS = {"flag.hide", "flag.dismiss"}  # f"flag.{action.value}" in domain/flags.py
JOB_KINDS = {event_reminders.REMIND, event_reminders.ANNOUNCE}
"""Kinds of durable jobs ("event.reminder", "event.changed"): work to do, not audited acts."""


def audited_actions() -> set[str]:
    found = set(FLAG_ACTIONS)
    for source in DOMAIN.glob("*.py"):
        found |= set(ACTION.findall(source.read_text()))
    acts = {action for action in found if action.rsplit(".", 1)[1] not in FILE_NAMES}
    return acts - NOT_ACTIONS - JOB_KINDS


def test_the_domain_audits_the_acts_of_this_issue() -> None:
    assert {"thread.lock", "post.hide", "group.archive", "theme.create"} <= audited_actions()
    assert {"webhook.create", "webhook.delete", "webhook.disable"} <= audited_actions()
    assert {"event.create", "event.update", "event.cancel"} <= audited_actions()
    assert {"user.erase", "archive.export", "archive.delete"} <= audited_actions()


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_every_audited_action_has_a_label(locale: str) -> None:
    i18n.activate(locale)
    macro = templates.env.get_template("components/audit_labels.html").module.action_label  # type: ignore[attr-defined]
    unlabelled = sorted(a for a in audited_actions() if "<code>" in str(macro(a)))
    assert unlabelled == []
