"""registration declined: a status of its own, so that a declined delegate is not taken for
one who cancelled (and may not re-apply with the same invite)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ck_registrations_reg_status"


def _statuses(*values: str) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(
            op.f(NAME), _statuses("pending", "confirmed", "cancelled", "declined")
        )


def downgrade() -> None:
    op.execute("UPDATE registrations SET status = 'cancelled' WHERE status = 'declined'")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), _statuses("pending", "confirmed", "cancelled"))
