"""The reference data of a new installation: member municipalities, themes, the 17 goals.

Inserted once, here, so that coordinators may edit or remove rows afterwards without a
restart bringing them back. The data is written out in full: a migration is history and
must not change when the code's idea of the defaults does.

Revision ID: 6bec1b8e0be7
Revises: 058cbf9efaaf
Create Date: 2026-11-26 23:41:33
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "6bec1b8e0be7"
down_revision: str | None = "058cbf9efaaf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (slug, name, county, email domain) — the members of 2018.
MUNICIPALITIES = [
    ("avesta", "Avesta", "Dalarnas län", "avesta.se"),
    ("borlange", "Borlänge", "Dalarnas län", "borlange.se"),
    ("hedemora", "Hedemora", "Dalarnas län", "hedemora.se"),
    ("ludvika", "Ludvika", "Dalarnas län", "ludvika.se"),
    ("fagersta", "Fagersta", "Västmanlands län", "fagersta.se"),
    ("norberg", "Norberg", "Västmanlands län", "norberg.se"),
    ("lindesberg", "Lindesberg", "Örebro län", "lindesberg.se"),
    ("nora", "Nora", "Örebro län", "nora.se"),
    ("filipstad", "Filipstad", "Värmlands län", "filipstad.se"),
    ("storfors", "Storfors", "Värmlands län", "storfors.se"),
]
# (slug, name, first year, last year, description)
THEMES = [
    (
        "integration",
        "Integration",
        2016,
        2016,
        "Temaåret 2016 handlade om mottagande och etablering av nyanlända. Grupperna delade erfarenheter av språkträning, praktik och samhällsorientering.",
    ),
    (
        "social-hallbarhet",
        "Social hållbarhet",
        2017,
        2017,
        "Temaåret 2017 lyfte jämlik hälsa, delaktighet och trygghet. Fokus låg på hur kommunerna kan minska skillnaderna i livsvillkor mellan olika grupper.",
    ),
    (
        "attraktivitet",
        "Attraktivitet",
        2018,
        2019,
        "Temat för 2018–2019 handlar om hur Bergslagens kommuner blir platser där människor vill bo, arbeta och stanna. Det rymmer allt från inflyttarservice och boende till bilden av Bergslagen utåt.",
    ),
]
# (number, Swedish name, English name) — UN Agenda 2030.
GOALS = [
    (1, "Ingen fattigdom", "No poverty"),
    (2, "Ingen hunger", "Zero hunger"),
    (3, "Hälsa och välbefinnande", "Good health and well-being"),
    (4, "God utbildning för alla", "Quality education"),
    (5, "Jämställdhet", "Gender equality"),
    (6, "Rent vatten och sanitet för alla", "Clean water and sanitation"),
    (7, "Hållbar energi för alla", "Affordable and clean energy"),
    (8, "Anständiga arbetsvillkor och ekonomisk tillväxt", "Decent work and economic growth"),
    (
        9,
        "Hållbar industri, innovationer och infrastruktur",
        "Industry, innovation and infrastructure",
    ),
    (10, "Minskad ojämlikhet", "Reduced inequalities"),
    (11, "Hållbara städer och samhällen", "Sustainable cities and communities"),
    (12, "Hållbar konsumtion och produktion", "Responsible consumption and production"),
    (13, "Bekämpa klimatförändringarna", "Climate action"),
    (14, "Hav och marina resurser", "Life below water"),
    (15, "Ekosystem och biologisk mångfald", "Life on land"),
    (16, "Fredliga och inkluderande samhällen", "Peace, justice and strong institutions"),
    (17, "Genomförande och globalt partnerskap", "Partnerships for the goals"),
]

municipality = sa.table(
    "municipality",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("county", sa.String),
    sa.column("is_member", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
municipality_domain = sa.table(
    "municipality_domain",
    sa.column("municipality_id", sa.Integer),
    sa.column("domain", sa.String),
)
theme = sa.table(
    "theme",
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("year_start", sa.Integer),
    sa.column("year_end", sa.Integer),
    sa.column("description", sa.Text),
)
goal = sa.table(
    "goal",
    sa.column("id", sa.Integer),
    sa.column("name_sv", sa.String),
    sa.column("name_en", sa.String),
)


def upgrade() -> None:
    created = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        created = created.replace(tzinfo=None)  # stored as UTC, as erfa's column type does
    op.bulk_insert(
        municipality,
        [
            {"slug": slug, "name": name, "county": county, "is_member": True, "created_at": created}
            for slug, name, county, _ in MUNICIPALITIES
        ],
    )
    ids = dict(op.get_bind().execute(sa.select(municipality.c.slug, municipality.c.id)).all())
    op.bulk_insert(
        municipality_domain,
        [{"municipality_id": ids[slug], "domain": domain} for slug, _, _, domain in MUNICIPALITIES],
    )
    op.bulk_insert(
        theme,
        [
            {"slug": slug, "name": name, "year_start": start, "year_end": end, "description": text}
            for slug, name, start, end, text in THEMES
        ],
    )
    op.bulk_insert(goal, [{"id": n, "name_sv": sv, "name_en": en} for n, sv, en in GOALS])


def downgrade() -> None:
    slugs = [row[0] for row in MUNICIPALITIES]
    op.execute(goal.delete().where(goal.c.id.in_([row[0] for row in GOALS])))
    op.execute(theme.delete().where(theme.c.slug.in_([row[0] for row in THEMES])))
    ids = sa.select(municipality.c.id).where(municipality.c.slug.in_(slugs))
    op.execute(municipality_domain.delete().where(municipality_domain.c.municipality_id.in_(ids)))
    op.execute(municipality.delete().where(municipality.c.slug.in_(slugs)))
