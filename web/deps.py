"""Dependencies of the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from domain.actor import ANONYMOUS, Actor


def get_web_actor() -> Actor:
    """The acting official of a page request.

    Until sign-in exists every visitor is anonymous: they see the group directory (names,
    descriptions, leads) but no group content, and secret groups not at all.
    """
    return ANONYMOUS


WebActor = Annotated[Actor, Depends(get_web_actor)]
