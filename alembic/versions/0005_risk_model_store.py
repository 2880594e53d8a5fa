"""risk model store: the trained early-warning model (serialized, with its sha256) and every open school's score

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:13:25.272082
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('risk_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trained_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('data_version', sa.Integer(), nullable=False),
    sa.Column('sklearn_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=False),
    sa.Column('meta_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_model_data_version'), ['data_version'], unique=False)

    op.create_table('risk_score',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('urn', sa.Integer(), nullable=False),
    sa.Column('risk', sa.Float(), nullable=False),
    sa.Column('risk_low', sa.Float(), nullable=True),
    sa.Column('risk_high', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('national_share', sa.Float(), nullable=False),
    sa.Column('drivers', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('caution', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('prev_grade', sa.Float(), nullable=True),
    sa.Column('years_since_prev', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['risk_model.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'urn')
    )


def downgrade() -> None:
    op.drop_table('risk_score')
    with op.batch_alter_table('risk_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_model_data_version'))

    op.drop_table('risk_model')
