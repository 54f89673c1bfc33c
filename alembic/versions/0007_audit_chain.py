"""the audit log as a hash chain: seq, prev_hash, hash on audit_events, the chain's head, existing rows chained

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

Existing rows are chained in id order with HOSO_AUDIT_KEY (`hoso migrate` runs with the production settings).
The canonical form and the hash below are a frozen copy of services/audit.py's format "hoso-audit/1", so this
migration keeps producing the same chain whatever the application's code becomes.
"""
import hashlib
import hmac
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from core.config import get_settings

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 2000


def _canon(value):
    if isinstance(value, dict):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _hash(key: bytes, row, seq: int, prev: str) -> str:
    items = ["hoso-audit/1", row.id, seq, row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), row.actor,
             row.action, row.subject, _canon(row.detail)]
    content = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                         allow_nan=False).encode("utf-8", "surrogatepass")
    return hmac.new(key, content + b"\n" + prev.encode("ascii"), hashlib.sha256).hexdigest()


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('audit_events', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_events', sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_table(
        'audit_chain',
        sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name='audit_chain_single_row'),
        sa.PrimaryKeyConstraint('id'),
    )

    connection = op.get_bind()
    connection.execute(sa.text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))  # no row slips in meanwhile
    key = get_settings().audit_key.strip().encode("utf-8")
    seq, prev, after = 0, GENESIS, 0
    update = sa.text("UPDATE audit_events SET seq = :seq, prev_hash = :prev_hash, hash = :hash WHERE id = :id")
    while True:
        rows = connection.execute(sa.text(
            "SELECT id, at, actor, action, subject, detail FROM audit_events WHERE id > :after ORDER BY id "
            "LIMIT :limit"), {"after": after, "limit": BATCH}).all()
        if not rows:
            break
        values = []
        for row in rows:
            seq += 1
            digest = _hash(key, row, seq, prev)
            values.append({"id": row.id, "seq": seq, "prev_hash": prev, "hash": digest})
            prev = digest
        connection.execute(update, values)
        after = rows[-1].id
    connection.execute(sa.text("INSERT INTO audit_chain (id, seq, hash, updated_at) VALUES (1, :seq, :hash, now())"),
                       {"seq": seq, "hash": prev})

    op.alter_column('audit_events', 'seq', nullable=False)
    op.alter_column('audit_events', 'prev_hash', nullable=False)
    op.alter_column('audit_events', 'hash', nullable=False)
    op.create_unique_constraint('audit_events_seq_key', 'audit_events', ['seq'])


def downgrade() -> None:
    op.drop_constraint('audit_events_seq_key', 'audit_events', type_='unique')
    op.drop_table('audit_chain')
    op.drop_column('audit_events', 'hash')
    op.drop_column('audit_events', 'prev_hash')
    op.drop_column('audit_events', 'seq')
