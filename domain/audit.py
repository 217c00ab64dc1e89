"""The audit log: every act of a lead or coordinator leaves one row."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from domain.actor import Actor
from models import AuditEntry


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target_id: int | None,
    group_id: int | None = None,
    reason: str = "",
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor.user_id or None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            group_id=group_id,
            reason=reason,
            detail=detail,
        )
    )
