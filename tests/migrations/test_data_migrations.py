"""Data migrations keep what officials wrote: rows written by an older schema, migrated."""

from __future__ import annotations

import sqlalchemy as sa

from erfa import db

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
