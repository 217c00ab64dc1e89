"""Dependencies of the JSON API: the acting official and list pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from domain.actor import ANONYMOUS, Actor
from domain.cursors import decode_cursor, encode_cursor
from erfa.deps import SettingsDep
from erfa.settings import derive_key


def get_api_actor() -> Actor:
    """The caller. Until token authentication exists every caller is anonymous."""
    return ANONYMOUS


@dataclass(frozen=True)
class PageParams:
    """`?cursor=&limit=` of a list, with the cursor's keyset position already verified."""

    limit: int
    cursor: str | None
    key: str

    def position(self, kind: str) -> dict[str, Any] | None:
        return decode_cursor(self.key, kind, self.cursor) if self.cursor else None

    def next_cursor(self, kind: str, position: dict[str, Any] | None) -> str | None:
        return encode_cursor(self.key, kind, position) if position is not None else None


def get_page_params(
    settings: SettingsDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, key=derive_key(settings.secret_key, "cursor"))


ApiActor = Annotated[Actor, Depends(get_api_actor)]
Page = Annotated[PageParams, Depends(get_page_params)]
