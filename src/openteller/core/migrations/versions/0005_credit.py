"""loan applications and their credit decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "loan_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("probability_of_default", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=True),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("model_hash", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=True),
        sa.Column("notice", sa.JSON(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=40), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loan_applications_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["staff_users.id"],
            name=op.f("fk_loan_applications_reviewer_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_applications")),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name=op.f("uq_loan_applications_customer_id")
        ),
    )
    for column in ("customer_id", "status"):
        op.create_index(
            op.f(f"ix_loan_applications_{column}"), "loan_applications", [column], unique=False
        )


def downgrade() -> None:
    op.drop_table("loan_applications")
