"""Data migrations keep what officials wrote: rows written by an older schema, migrated."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from erfa import db
from tests.factories import make_group

BEFORE_ONE_ADOPTION = "3f9a0e7c5b21"
ONE_ADOPTION = "9e4b7a2c6d13"


def _insert_resource(connection: sa.Connection) -> None:
    for statement in (
        "INSERT INTO user_account (email, name, title, municipality_id, is_coordinator,"
        " status, locale, created_at) SELECT 'a@avesta.se', 'A', '', id, false, 'active', 'sv',"
        " '2026-01-01' FROM municipality WHERE slug = 'avesta'",
        'INSERT INTO "group" (slug, name, focus_area, description, visibility, member_count,'
        " thread_count, created_at, version, profile_version)"
        " VALUES ('g', 'G', 'youth', '', 'open', 1, 0, '2026-01-01', 1, 1)",
        "INSERT INTO resource (group_id, author_id, title, summary, kind, municipality_id,"
        " contact_name, contact_email, background, background_html, purpose, purpose_html,"
        " implementation, implementation_html, results, results_html, lessons, lessons_html,"
        " renderer_version, adoption_count, version, change_seq, created_at)"
        " SELECT g.id, u.id, 'R', 'S', 'tool', u.municipality_id, 'A', 'a@avesta.se',"
        " '', '', '', '', '', '', '', '', '', '', 1, 4, 1, 1, '2026-01-01'"
        ' FROM "group" g, user_account u',
    ):
        connection.execute(sa.text(statement))


def test_repeated_adoptions_of_a_municipality_are_merged_into_its_first(
    fresh_database_url: str,
) -> None:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine, BEFORE_ONE_ADOPTION)
    with engine.begin() as connection:
        _insert_resource(connection)
        reports = [
            ("nora", "Först.", "", "2019-05-01"),
            ("nora", "Sedan.", "Bra", None),
            ("storfors", "Hos oss.", "", None),
            ("nora", "Till sist.", "Mycket bra", "2019-02-01"),
        ]
        for slug, summary, outcome, adopted_on in reports:
            connection.execute(
                sa.text(
                    "INSERT INTO adoption (resource_id, municipality_id, summary, outcome,"
                    " adopted_on, created_at) SELECT r.id, m.id, :summary, :outcome,"
                    " :adopted_on, '2026-01-01' FROM resource r, municipality m"
                    " WHERE m.slug = :slug"
                ),
                {"slug": slug, "summary": summary, "outcome": outcome, "adopted_on": adopted_on},
            )
    db.upgrade(engine, ONE_ADOPTION)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT m.slug, a.summary, a.outcome, a.adopted_on FROM adoption a"
                " JOIN municipality m ON m.id = a.municipality_id ORDER BY a.id"
            )
        ).all()
        count = connection.execute(sa.text("SELECT adoption_count FROM resource")).scalar_one()
    engine.dispose()
    assert [(slug, summary, outcome) for slug, summary, outcome, _ in rows] == [
        ("nora", "Först.\n\nSedan.\n\nTill sist.", "Mycket bra"),
        ("storfors", "Hos oss.", ""),
    ]
    assert str(rows[0][3]) == "2019-02-01"
    assert count == 2


BEFORE_FOLDED_STEMS = "f2b8d4c6a9e3"
FOLDED_STEMS = "a6c1e5f3b7d2"


def test_search_entries_written_before_folding_are_found_by_either_spelling(
    fresh_database_url: str,
) -> None:
    """An entry indexed before folding holds "café" as it was written; after the
    migration its stems are those `domain.search` writes today, so "kafé" finds it."""
    from domain import search

    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine, BEFORE_FOLDED_STEMS)
    title, body = "Café för unga", "Vårt Café i Fagersta har öppet på fredagar. Crème brûlée!"
    with Session(engine) as session:  # the group table is as it is today
        group_id = make_group(session, slug="kafe").id
        session.commit()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO search_entry (kind, ref_id, group_id, title, body, stems, updated_at)"
                " VALUES ('thread', 1, :group_id, :title, :body, 'cafe for ung', '2026-01-01')"
            ),
            {"title": title, "body": body, "group_id": group_id},
        )
    db.upgrade(engine, FOLDED_STEMS)
    with engine.connect() as connection:
        stems = connection.execute(sa.text("SELECT stems FROM search_entry")).scalar_one()
        assert stems == " ".join(search.stems_of(f"{title} {body}"))
        assert search.stems_of("kafé")[0] in stems.split()
        if connection.dialect.name == "postgresql":
            found = connection.execute(
                sa.text(
                    "SELECT count(*) FROM search_entry WHERE to_tsvector('simple'::regconfig,"
                    " stems) @@ plainto_tsquery('simple'::regconfig, :q)"
                ),
                {"q": search.stems_of("kafé")[0]},
            ).scalar_one()
            assert found == 1
    db.upgrade(engine)
    engine.dispose()
