"""Dependencies of the JSON API: the acting official."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from domain.actor import ANONYMOUS, Actor


def get_api_actor() -> Actor:
    """The caller. Until token authentication exists every caller is anonymous."""
    return ANONYMOUS


ApiActor = Annotated[Actor, Depends(get_api_actor)]
