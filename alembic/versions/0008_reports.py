"""periodic reports: one row per reporting unit, duty and period (figures, HR's narrative, the signed PDF)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('duty', sa.String(length=16), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('period_label', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('profile', sa.String(length=32), nullable=False),
        sa.Column('profile_version', sa.String(length=32), nullable=False),
        sa.Column('workflow_id', sa.String(length=128), nullable=False),
        sa.Column('legal_basis', sa.String(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('figures_sha256', sa.String(length=64), nullable=True),
        sa.Column('notes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('prepared_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signed_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('signed_as', sa.String(length=255), nullable=True),
        sa.Column('signed_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('signed_pdf_sha256', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('duty', 'period', 'unit_id'),
    )
    op.create_index('ix_reports_duty', 'reports', ['duty'])
    op.create_index('ix_reports_period', 'reports', ['period'])
    op.create_index('ix_reports_unit_id', 'reports', ['unit_id'])
    op.create_index('ix_reports_status', 'reports', ['status'])


def downgrade() -> None:
    op.drop_table('reports')
