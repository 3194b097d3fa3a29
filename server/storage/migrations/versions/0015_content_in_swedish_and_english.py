"""series titles, descriptions, session themes and program names in Swedish and English

An organisation may give its group content in Swedish and English as well as Finnish, each text
optional (server/localised.py). Every translation is a nullable column next to its Finnish one,
with the same bound: NULL means not given, and the Finnish text is shown. Existing series keep
working untouched. The shipped program templates get their Swedish and English names, where an
organisation has not given its own.

Downgrading drops the translations; the Finnish content stays as it was.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-15 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shipped templates' names as this revision knows them (server/scheduling/programs.py).
PROGRAM_NAMES = {
    "eron-jalkeinen-vanhemmuus": (
        "Stöd för föräldraskapet efter skilsmässan",
        "Support for parenting after separation",
    ),
    "eroneuvo-live": (
        "Information och stöd när en barnfamilj skiljs",
        "Information and support when a family with children separates",
    ),
    "vanhemman-neuvo": ("Föräldrarådgruppen på nätet", "Parent's advice group online"),
    "mina-tunteet-taidot": ("Jag, känslor och färdigheter", "Me, emotions and skills"),
    "aktiivinen-osallisuus": (
        "Aktiv delaktighet i vardagen",
        "Active participation in everyday life",
    ),
    "vertaisvoimaa": ("Kamratkraft för föräldrar", "Peer power for parents"),
    "stressista-saatelyyn": ("Från stress till reglering", "From stress to regulation"),
    "vanhemmalta-vanhemmalle": ("Från förälder till förälder", "Parent to parent"),
    "lasso-perhekurssit": ("LASSO-familjekurser", "LASSO family courses"),
}

COLUMNS = {
    "programs": [("name_sv", sa.String(length=160)), ("name_en", sa.String(length=160))],
    "series": [
        ("title_sv", sa.String(length=160)),
        ("title_en", sa.String(length=160)),
        ("description_sv", sa.Text()),
        ("description_en", sa.Text()),
    ],
    "sessions": [("theme_sv", sa.String(length=200)), ("theme_en", sa.String(length=200))],
}

programs = sa.table(
    "programs",
    sa.column("slug", sa.String()),
    sa.column("name_sv", sa.String()),
    sa.column("name_en", sa.String()),
)


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in columns:
                batch_op.add_column(sa.Column(name, type_, nullable=True))
    bind = op.get_bind()
    for slug, (sv, en) in PROGRAM_NAMES.items():
        bind.execute(
            programs.update().where(programs.c.slug == slug).values(name_sv=sv, name_en=en)
        )


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _type in columns:
                batch_op.drop_column(name)
