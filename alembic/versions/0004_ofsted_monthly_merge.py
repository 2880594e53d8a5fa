"""Ofsted monthly management information: report-card area dates, derived category flag, release
dates for merging releases in any order, and the import that first recorded each inspection

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREA_DATES = (
    'rc_inclusion_date', 'rc_curriculum_and_teaching_date', 'rc_achievement_date',
    'rc_attendance_and_behaviour_date', 'rc_personal_development_date', 'rc_leadership_and_governance_date',
    'rc_early_years_date', 'rc_sixth_form_date', 'rc_safeguarding_date',
)


def upgrade() -> None:
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        for name in AREA_DATES:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('category_derived', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('release_as_at', sa.Date(), nullable=True))
        # Not indexed: an index would slow every import's inserts more than it speeds the few reads.
        batch_op.add_column(sa.Column('first_import_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_as_at', sa.Date(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Existing rows: attribute each inspection to the first import of its publication (the best that can be
    known afterwards), date official rows with that publication's newest release, and date each school's
    open/closed status with the release that listed it (closed stubs: the newest release)."""
    op.execute(
        "UPDATE inspection SET first_import_id = coalesce("
        "(SELECT min(l.id) FROM import_log l WHERE l.kind = inspection.source), "
        "(SELECT min(l.id) FROM import_log l))"
    )
    op.execute(
        "UPDATE inspection SET release_as_at = "
        "(SELECT max(l.as_at) FROM import_log l WHERE l.kind = inspection.source)"
    )
    op.execute(
        "UPDATE school SET status_as_at = CASE WHEN is_open THEN as_at ELSE "
        "(SELECT max(l.as_at) FROM import_log l WHERE l.kind = 'ofsted-outcomes') END"
    )


def downgrade() -> None:
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('status_as_at')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('first_import_id')
        batch_op.drop_column('release_as_at')
        batch_op.drop_column('category_derived')
        for name in reversed(AREA_DATES):
            batch_op.drop_column(name)
