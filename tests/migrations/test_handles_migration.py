"""The migration that gives existing officials handles: unique, ASCII, made from names."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from erfa import db

BEFORE_HANDLES = "9e4b7a2c6d13"
HANDLES = "5c2e8d1f4a97"

NAMES = [
    "Karin Lund",
    "Karin Lund",
    "karin  lund",
    "Åsa Öberg",
    "Ünal Çelik-Özdemir",
    "X",
    "Мария Иванова",
    "Maximiliana Wilhelmina Augusta von Bergslagen",
    "Maximiliana Wilhelmina Augusta von Falun",
]


def insert_officials(engine: sa.Engine) -> list[int]:
    ids = []
    with engine.begin() as connection:
        for n, name in enumerate(NAMES):
            ids.append(
                connection.execute(
                    sa.text(
                        "INSERT INTO user_account (email, name, title, municipality_id,"
                        " is_coordinator, status, locale, created_at)"
                        " SELECT :email, :name, '', id, false, 'active', 'sv', '2026-01-01'"
                        " FROM municipality WHERE slug = 'avesta' RETURNING id"
                    ),
                    {"email": f"person{n}@avesta.se", "name": name},
                ).scalar_one()
            )
    return ids


def test_existing_officials_get_unique_handles_from_their_names(fresh_database_url: str) -> None:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine, BEFORE_HANDLES)
    ids = insert_officials(engine)

    db.upgrade(engine, HANDLES)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, handle FROM user_account ORDER BY id")).all()
    handles = [handle for _, handle in rows]
    assert handles == [
        "karin.lund",
        "karin.lund-2",
        "karin.lund-3",
        "asa.oberg",
        "unal.celik-ozdemir",
        f"official-{ids[5]}",
        f"official-{ids[6]}",
        "maximiliana.wilhelmina.augusta",
        "maximiliana.wilhelmina.augus-2",
    ]
    for handle in handles:
        assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", handle), handle
        assert 2 <= len(handle) <= 30, handle

    for broken in ("karin.lund", "k", None):  # unique, at least two characters, required
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE user_account SET handle = :handle WHERE id = :id"),
                {"handle": broken, "id": ids[3]},
            )

    db.downgrade(engine, BEFORE_HANDLES)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("user_account")}
        assert "handle" not in columns
        assert connection.execute(sa.text("SELECT count(*) FROM user_account")).scalar_one() == 9
    db.upgrade(engine)
    engine.dispose()
