"""signed documents (made by the signing activity, applied by the completion) and signed exports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signed_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('signer_id', sa.Integer(), nullable=False),
        sa.Column('signed_as', sa.String(length=255), nullable=False),
        sa.Column('covers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id']),
        sa.ForeignKeyConstraint(['signer_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signed_documents_task_id', 'signed_documents', ['task_id'])
    op.create_table(
        'signed_exports',
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('signer_id', sa.Integer(), nullable=False),
        sa.Column('signed_as', sa.String(length=255), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['revision_id'], ['profile_revisions.id']),
        sa.ForeignKeyConstraint(['signer_id'], ['users.id']),
        sa.PrimaryKeyConstraint('revision_id'),
    )


def downgrade() -> None:
    op.drop_table('signed_exports')
    op.drop_index('ix_signed_documents_task_id', table_name='signed_documents')
    op.drop_table('signed_documents')
