"""Cursor pagination of API lists: `?cursor=&limit=` → `{"items", "next_cursor"}`.

Services take a keyset position and a limit; they are asked for one row more than the
page holds, and that extra row tells whether a next page exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from domain.cursors import decode_cursor, encode_cursor
from erfa.deps import SettingsDep
from erfa.settings import derive_key

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    key: str

    @property
    def fetch(self) -> int:
        """How many rows to ask the service for."""
        return self.limit + 1

    def position(self, kind: str) -> dict[str, Any] | None:
        """The keyset position the cursor carries; `Invalid` if erfa did not issue it."""
        return decode_cursor(self.key, kind, self.cursor) if self.cursor else None

    def window(
        self, kind: str, rows: Sequence[T], position_of: Callable[[T], dict[str, Any]]
    ) -> tuple[list[T], str | None]:
        """This page's rows and the cursor of the next page (None on the last one)."""
        page = list(rows[: self.limit])
        if len(rows) <= self.limit or not page:
            return page, None
        return page, encode_cursor(self.key, kind, position_of(page[-1]))


def get_page_params(
    settings: SettingsDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, key=derive_key(settings.secret_key, "cursor"))


Page = Annotated[PageParams, Depends(get_page_params)]
