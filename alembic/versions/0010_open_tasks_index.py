"""open tasks by unit and due date: the inbox's partial index

The inbox reads the open tasks of a unit subtree by due date, and the viewer's candidacies among the open tasks;
95 % of tasks are done, so an index of the open ones alone, holding what the page is sorted by, answers both
without reading the done ones (index-only once vacuumed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:35:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tasks_open_unit_due', 'tasks', ['unit_id', 'due_at', 'id'],
                    postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('ix_tasks_open_unit_due', table_name='tasks')
