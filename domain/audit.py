"""The audit log: every act of a lead or coordinator leaves exactly one row.

Rows are only ever inserted (`record`); reading, filtering and exporting them is
`domain/audit_log.py`. An entry says who acted, on what (`target_type`, `target_id`), in
which group, why (`reason`), and what changed: `before` and `after` hold the changed fields
only (`changed`), null for a creation (`before`) or a removal (`after`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from domain.actor import Actor
from domain.errors import Invalid
from models import AuditEntry

MAX_REASON = 500
"""A moderation or administration reason is at most this many characters."""


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target_id: int | None,
    group_id: int | None = None,
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.user_id or None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        group_id=group_id,
        reason=reason,
        detail=detail,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )
    session.add(entry)
    return entry


def check_reason(reason: str | None, *, required: bool, missing: str = "Give a reason.") -> str:
    """The reason of a moderation or administration act: trimmed, at most `MAX_REASON`
    characters, and not empty when `required` (`missing` says why it is needed)."""
    text = (reason or "").strip()
    if required and not text:
        raise Invalid.field("reason", missing, "required")
    if len(text) > MAX_REASON:
        raise Invalid.field(
            "reason", f"A reason is at most {MAX_REASON} characters long.", "too-long"
        )
    return text


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose values differ, as (before, after)."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
