"""signed and prepared PDFs stored without compression

A PDF's streams are already compressed (Flate), so PostgreSQL's pglz, which TOAST tries on every value
over 2 kB, gains nothing on them and costs time: storing the 138 kB batch PDF of a 500-revision approval
took 2.7 ms with the default EXTENDED storage and 0.9 ms with EXTERNAL (out of line, uncompressed), and
the signature writes it twice (bench/README.md, «Signing»). Rows already stored keep their form.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:05:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

PDF_COLUMNS = [("approvals", "signed_pdf"), ("signed_documents", "pdf"), ("prepared_documents", "pdf"),
               ("signed_exports", "pdf"), ("reports", "signed_pdf")]


def upgrade() -> None:
    for table, column in PDF_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTERNAL")


def downgrade() -> None:
    for table, column in PDF_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTENDED")
