"""transfers, leaving and the archive, unit mergers, placements; search with unaccent and pg_trgm

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# unaccent() is only STABLE (its dictionary could change), so an index cannot use it directly; this
# wrapper names the dictionary and is declared IMMUTABLE, the usual way to index unaccented text.
FOLD = """
CREATE OR REPLACE FUNCTION hoso_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute(FOLD)
    op.execute("CREATE INDEX ix_people_name_trgm ON people USING gin (hoso_fold(full_name) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_people_citizen_id_trgm ON people USING gin (citizen_id gin_trgm_ops)")
    op.execute("CREATE INDEX ix_units_name_trgm ON units USING gin (hoso_fold(name) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_revisions_grade_trgm ON profile_revisions USING gin "
               "(hoso_fold(coalesce(data->>'grade_code', '') || ' ' || coalesce(data->>'grade_name', '')) "
               "gin_trgm_ops)")

    op.add_column('people', sa.Column('left_on', sa.Date(), nullable=True))
    op.add_column('people', sa.Column('leave_reason', sa.String(length=32), nullable=True))
    op.add_column('people', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'transfers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=True),
        sa.Column('to_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=True),
        sa.Column('reason', sa.String(length=255), nullable=False),
        sa.Column('decision_no', sa.String(length=64), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('paper_file_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('stage', sa.String(length=32), nullable=False),
        sa.Column('workflow_id', sa.String(length=128), nullable=True),
        sa.Column('revision_id', sa.Integer(), sa.ForeignKey('profile_revisions.id'), nullable=True),
        sa.Column('profile', sa.String(length=32), nullable=False),
        sa.Column('profile_version', sa.String(length=32), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_reason', sa.String(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_transfers_person_id', 'transfers', ['person_id'])
    op.create_index('ix_transfers_from_unit_id', 'transfers', ['from_unit_id'])
    op.create_index('ix_transfers_to_unit_id', 'transfers', ['to_unit_id'])
    op.create_index('ix_transfers_status', 'transfers', ['status'])
    # at every moment a person has at most one open transfer or leaving
    op.create_index('uq_transfers_open_person', 'transfers', ['person_id'], unique=True,
                    postgresql_where=sa.text("status = 'open'"))

    op.create_table(
        'mergers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('to_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('decision_no', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('workflow_id', sa.String(length=128), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('moved', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_mergers_from_unit_id', 'mergers', ['from_unit_id'])

    op.create_table(
        'merger_moves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('merger_id', sa.Integer(), sa.ForeignKey('mergers.id'), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('merger_id', 'person_id'),
    )
    op.create_index('ix_merger_moves_merger_id', 'merger_moves', ['merger_id'])

    op.create_table(
        'placements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('from_on', sa.Date(), nullable=False),
        sa.Column('to_on', sa.Date(), nullable=True),
        sa.Column('transfer_id', sa.Integer(), sa.ForeignKey('transfers.id'), nullable=True),
        sa.Column('merger_id', sa.Integer(), sa.ForeignKey('mergers.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_placements_person_id', 'placements', ['person_id'])
    op.create_index('ix_placements_unit_id', 'placements', ['unit_id'])
    # every record starts placed in its unit since its hiring
    op.execute("INSERT INTO placements (person_id, unit_id, from_on, created_at) "
               "SELECT id, unit_id, hired_on, now() FROM people")


def downgrade() -> None:
    op.drop_table('placements')
    op.drop_table('merger_moves')
    op.drop_table('mergers')
    op.drop_index('uq_transfers_open_person', table_name='transfers')
    op.drop_table('transfers')
    op.drop_column('people', 'archived_at')
    op.drop_column('people', 'leave_reason')
    op.drop_column('people', 'left_on')
    for name in ('ix_revisions_grade_trgm', 'ix_units_name_trgm', 'ix_people_citizen_id_trgm', 'ix_people_name_trgm'):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS hoso_fold(text)")
