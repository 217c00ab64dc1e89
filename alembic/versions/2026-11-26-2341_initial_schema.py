"""The initial schema: the whole domain of erfa.

Municipalities, themes and the 17 goals; officials, invitations and API tokens; groups,
memberships and join requests; threads, posts and their revisions; resources with
attachments and adoptions; flags, the audit log, subscriptions and notifications.

Revision ID: 058cbf9efaaf
Revises:
Create Date: 2026-11-26 23:41:23.538914
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "058cbf9efaaf"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_entry_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_group_id"), ["group_id"], unique=False)

    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name_sv", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.CheckConstraint("id BETWEEN 1 AND 17", name=op.f("ck_goal_sdg_number")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("county", sa.String(length=120), nullable=False),
        sa.Column("is_member", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
        sa.UniqueConstraint("slug", name=op.f("uq_municipality_slug")),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("year_start", sa.Integer(), nullable=True),
        sa.Column("year_end", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "year_end IS NULL OR year_start IS NULL OR year_end >= year_start",
            name=op.f("ck_theme_year_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("slug", name=op.f("uq_theme_slug")),
    )
    op.create_table(
        "group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "focus_area",
            sa.Enum(
                "youth",
                "attractiveness",
                "communication",
                "diversity",
                "equality",
                "other",
                name="focus_area",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "open",
                "closed",
                "secret",
                name="visibility",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("thread_count", sa.Integer(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("slug <> ''", name=op.f("ck_group_slug_not_empty")),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_group_theme_id_theme"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group")),
        sa.UniqueConstraint("slug", name=op.f("uq_group_slug")),
    )
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "municipality_domain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_municipality_domain_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality_domain")),
        sa.UniqueConstraint("domain", name=op.f("uq_municipality_domain_domain")),
    )
    with op.batch_alter_table("municipality_domain", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_municipality_domain_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "active",
                "suspended",
                name="user_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "locale",
            sa.Enum("sv", "en", name="locale", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_user_account_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_account_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_api_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "group_goal",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_group_goal_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_group_goal_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "goal_id", name=op.f("pk_group_goal")),
    )
    with op.batch_alter_table("group_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_goal_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_invitation_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user_account.id"],
            name=op.f("fk_invitation_invited_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_invitation_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitation_invited_by_id"), ["invited_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitation_user_id"), ["user_id"], unique=False)

    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "denied",
                name="join_request_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_join_request_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_join_request_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_join_request_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request")),
    )
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_join_request_decided_by_id"), ["decided_by_id"], unique=False
        )
        batch_op.create_index("ix_join_request_group_status", ["group_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_join_request_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_join_request_pending",
            ["group_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "member", "lead", name="member_role", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_membership_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_membership_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("group_id", "user_id", name=op.f("uq_membership_group_id_user_id")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_user_id"), ["user_id"], unique=False)

    op.create_table(
        "thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("last_posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_poster_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("title <> ''", name=op.f("ck_thread_title_not_empty")),
        sa.CheckConstraint("post_count >= 0", name=op.f("ck_thread_post_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_thread_author_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_thread_group_id_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread")),
    )
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_thread_group_activity", ["group_id", "pinned", "last_posted_at"], unique=False
        )

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("renderer_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_post_version_positive")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_post_author_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["user_account.id"],
            name=op.f("fk_post_hidden_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"], ["post.id"], name=op.f("fk_post_reply_to_id_post"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["thread.id"], name=op.f("fk_post_thread_id_thread"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
        sa.UniqueConstraint("thread_id", "position", name=op.f("uq_post_thread_id_position")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_post_change_seq", ["change_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_hidden_by_id"), ["hidden_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_reply_to_id"), ["reply_to_id"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "model",
                "tool",
                "process",
                "research",
                name="resource_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("contact_user_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("background", sa.Text(), nullable=False),
        sa.Column("background_html", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_html", sa.Text(), nullable=False),
        sa.Column("implementation", sa.Text(), nullable=False),
        sa.Column("implementation_html", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("results_html", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("lessons_html", sa.Text(), nullable=False),
        sa.Column("renderer_version", sa.Integer(), nullable=False),
        sa.Column("adoption_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("title <> ''", name=op.f("ck_resource_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_resource_author_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["contact_user_id"],
            ["user_account.id"],
            name=op.f("fk_resource_contact_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_resource_group_id_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_resource_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_resource_thread_id_thread"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_resource_thread_id")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_resource_change_seq", ["change_seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_contact_user_id"), ["contact_user_id"], unique=False
        )
        batch_op.create_index("ix_resource_group_kind", ["group_id", "kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(thread_id IS NULL) <> (group_id IS NULL)",
            name=op.f("ck_subscription_exactly_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_subscription_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_subscription_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_subscription_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
        sa.UniqueConstraint("user_id", "group_id", name=op.f("uq_subscription_user_id_group_id")),
        sa.UniqueConstraint("user_id", "thread_id", name=op.f("uq_subscription_user_id_thread_id")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index("ix_subscription_group_id", ["group_id"], unique=False)
        batch_op.create_index("ix_subscription_thread_id", ["thread_id"], unique=False)

    op.create_table(
        "thread_goal",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_thread_goal_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_thread_goal_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "goal_id", name=op.f("pk_thread_goal")),
    )
    with op.batch_alter_table("thread_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_goal_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "adoption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_adoption_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_adoption_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_adoption_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption")),
    )
    with op.batch_alter_table("adoption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adoption_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adoption_recorded_by_id"), ["recorded_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_adoption_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_attachment_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_attachment_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_attachment_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_attachment_storage_name")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attachment_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )

    op.create_table(
        "flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "resolved",
                "dismissed",
                name="flag_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_flag_group_id_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_flag_post_id_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_flag_resolved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_flag_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag")),
        sa.UniqueConstraint("post_id", "user_id", name=op.f("uq_flag_post_id_user_id")),
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index("ix_flag_group_status", ["group_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_flag_resolved_by_id"), ["resolved_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flag_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "reply",
                "mention",
                "new_thread",
                "join_request",
                "flag",
                name="notification_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_notification_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_notification_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_notification_post_id_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_notification_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_thread_id"), ["thread_id"], unique=False)
        batch_op.create_index(
            "ix_notification_user_unread", ["user_id", "read_at", "created_at"], unique=False
        )

    op.create_table(
        "post_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edited_by_id"],
            ["user_account.id"],
            name=op.f("fk_post_revision_edited_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_revision_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_revision")),
        sa.UniqueConstraint("post_id", "version", name=op.f("uq_post_revision_post_id_version")),
    )
    with op.batch_alter_table("post_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_revision_edited_by_id"), ["edited_by_id"], unique=False
        )

    op.create_table(
        "resource_goal",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_resource_goal_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_goal_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "goal_id", name=op.f("pk_resource_goal")),
    )
    with op.batch_alter_table("resource_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_goal_goal_id"), ["goal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resource_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_goal_goal_id"))

    op.drop_table("resource_goal")
    with op.batch_alter_table("post_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_revision_edited_by_id"))

    op.drop_table("post_revision")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_unread")
        batch_op.drop_index(batch_op.f("ix_notification_thread_id"))
        batch_op.drop_index(batch_op.f("ix_notification_post_id"))
        batch_op.drop_index(batch_op.f("ix_notification_group_id"))
        batch_op.drop_index(batch_op.f("ix_notification_actor_id"))

    op.drop_table("notification")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_user_id"))
        batch_op.drop_index(batch_op.f("ix_flag_resolved_by_id"))
        batch_op.drop_index("ix_flag_group_status")

    op.drop_table("flag")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_attachment_resource_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("adoption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adoption_resource_id"))
        batch_op.drop_index(batch_op.f("ix_adoption_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_adoption_municipality_id"))

    op.drop_table("adoption")
    with op.batch_alter_table("thread_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_goal_goal_id"))

    op.drop_table("thread_goal")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_thread_id")
        batch_op.drop_index("ix_subscription_group_id")

    op.drop_table("subscription")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_municipality_id"))
        batch_op.drop_index("ix_resource_group_kind")
        batch_op.drop_index(batch_op.f("ix_resource_contact_user_id"))
        batch_op.drop_index("ix_resource_change_seq")
        batch_op.drop_index(batch_op.f("ix_resource_author_id"))

    op.drop_table("resource")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_reply_to_id"))
        batch_op.drop_index(batch_op.f("ix_post_hidden_by_id"))
        batch_op.drop_index("ix_post_change_seq")
        batch_op.drop_index(batch_op.f("ix_post_author_id"))

    op.drop_table("post")
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_group_activity")
        batch_op.drop_index(batch_op.f("ix_thread_author_id"))

    op.drop_table("thread")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_user_id"))

    op.drop_table("membership")
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_join_request_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_join_request_user_id"))
        batch_op.drop_index("ix_join_request_group_status")
        batch_op.drop_index(batch_op.f("ix_join_request_decided_by_id"))

    op.drop_table("join_request")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_invited_by_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_group_id"))

    op.drop_table("invitation")
    with op.batch_alter_table("group_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_goal_goal_id"))

    op.drop_table("group_goal")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_municipality_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("municipality_domain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_municipality_domain_municipality_id"))

    op.drop_table("municipality_domain")
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_theme_id"))

    op.drop_table("group")
    op.drop_table("theme")
    op.drop_table("municipality")
    op.drop_table("goal")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_group_id"))
        batch_op.drop_index("ix_audit_entry_created_at")
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_id"))

    op.drop_table("audit_entry")
