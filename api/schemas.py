"""Response and request schemas of the JSON API. Tables are never response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api import examples
from domain.audit import MAX_REASON
from domain.audit_log import AuditRow
from domain.flags import FlagItem
from domain.groups import GroupView
from domain.officials import OfficialView
from domain.research import MAX_BUILDS_ON, RESEARCH_FIELDS
from domain.sync import PostChange, ResourceChange
from domain.threads import PostView, ThreadView
from models import (
    CASE_SECTIONS,
    Adoption,
    ApiToken,
    FocusArea,
    JoinRequest,
    JoinRequestStatus,
    Locale,
    MemberRole,
    Municipality,
    Resource,
    ResourceKind,
    Scope,
    Thread,
    User,
    UserStatus,
    Visibility,
)

T = TypeVar("T")


GoalId = Annotated[int, Field(ge=1, le=17, description="An Agenda 2030 goal, 1–17.")]
GoalIds = Annotated[list[GoalId], Field(max_length=17)]
ResearchId = Annotated[int, Field(ge=1, le=2**63 - 1, description="A research item's id.")]
ResearchIds = Annotated[
    list[ResearchId],
    Field(
        max_length=MAX_BUILDS_ON,
        description="The research items it builds on: ids of resources of kind research.",
    ),
]
PublicationYear = Annotated[
    int, Field(ge=1, le=9999, description="Research: the year of publication, 1900–next year.")
]
RESEARCH_ONLY = "Research items only."
DOI = "Research: the DOI, as 10.NNNN/… (its https://doi.org/ address is taken too)."
IMPLICATIONS = "Research: what it means for a municipality, in plain Swedish (markdown)."
THEME = "The slug of the yearly theme it carries."
THEME_PATCH = "The slug of the yearly theme it carries; null for none."
REASON = f"At most {MAX_REASON} characters once trimmed."


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class LeadOut(BaseModel):
    id: int
    name: str
    title: str
    municipality: str


class GroupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.GROUP_OUT]})

    id: int
    slug: str
    name: str
    focus_area: FocusArea
    description: str
    visibility: Visibility
    member_count: int
    thread_count: int | None
    """Null for a closed group the caller is not a member of: its activity is its own."""
    last_activity_at: datetime | None
    created_at: datetime
    leads: list[LeadOut]
    can_read: bool
    archived: bool = False
    """Read-only: readable, but no new discussions, posts or members."""
    goals: list[int] = []
    theme: str | None = None
    """The slug of the theme the group works under."""

    @classmethod
    def from_view(cls, view: GroupView) -> GroupOut:
        group = view.group
        assert group.id is not None
        return cls(
            id=group.id,
            slug=group.slug,
            name=group.name,
            focus_area=group.focus_area,
            description=group.description,
            visibility=group.visibility,
            member_count=group.member_count,
            thread_count=group.thread_count if view.can_read else None,
            last_activity_at=group.last_activity_at if view.can_read else None,
            created_at=group.created_at,
            leads=[
                LeadOut(
                    id=lead.user_id,
                    name=lead.name,
                    title=lead.title,
                    municipality=lead.municipality,
                )
                for lead in view.leads
            ],
            can_read=view.can_read,
            archived=view.archived,
            goals=view.goals,
            theme=view.theme.slug if view.theme else None,
        )


class MunicipalityOut(BaseModel):
    id: int
    slug: str
    name: str
    county: str

    @classmethod
    def from_model(cls, municipality: Municipality) -> MunicipalityOut:
        assert municipality.id is not None
        return cls(
            id=municipality.id,
            slug=municipality.slug,
            name=municipality.name,
            county=municipality.county,
        )


class PersonOut(BaseModel):
    """How an official appears next to what they wrote or did."""

    id: int
    name: str
    title: str
    municipality: str

    @classmethod
    def of(cls, user: User, municipality: str) -> PersonOut:
        assert user.id is not None
        return cls(id=user.id, name=user.name, title=user.title, municipality=municipality)


class UserOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_OUT]})

    id: int
    email: str
    handle: str
    name: str
    title: str
    municipality: str
    status: UserStatus
    coordinator: bool
    locale: Locale
    created_at: datetime

    @classmethod
    def from_model(cls, user: User) -> UserOut:
        assert user.id is not None
        return cls(
            id=user.id,
            email=user.email,
            handle=user.handle,
            name=user.name,
            title=user.title,
            municipality=user.municipality.slug,
            status=user.status,
            coordinator=user.is_coordinator,
            locale=user.locale,
            created_at=user.created_at,
        )


class UserIn(BaseModel):
    """An invitation: the person sets their password through the mailed link."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.USER_IN]})

    email: str = Field(max_length=254)
    name: str = Field(max_length=120)
    municipality: str = Field(max_length=64)
    title: str = Field(default="", max_length=120)
    coordinator: bool = False
    locale: Locale = Locale.SV


class TokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TOKEN_OUT]})

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name
    expires_in: int


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_TOKEN_IN]})

    name: str = Field(max_length=120)
    scopes: list[Scope] = Field(min_length=1, max_length=2)
    expires_at: AwareDatetime | None = None


class ApiTokenOut(BaseModel):
    id: int
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, token: ApiToken) -> ApiTokenOut:
        assert token.id is not None
        return cls(
            id=token.id,
            name=token.name,
            scopes=sorted(Scope(value) for value in token.scopes.split()),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class NewApiTokenOut(ApiTokenOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.NEW_API_TOKEN_OUT]})

    token: str
    """The secret, shown this once."""


class GroupIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.GROUP_IN]})

    slug: str = Field(max_length=64)
    name: str = Field(max_length=120)
    focus_area: str = Field(max_length=32)
    description: str = Field(default="", max_length=5000)
    visibility: Visibility = Visibility.OPEN
    leads: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None,
        max_length=20,
        description="User ids of the first leads; without them the creating coordinator leads.",
    )
    goals: GoalIds = []
    theme: str | None = Field(default=None, max_length=64, description="A theme's slug.")


class GroupPatch(BaseModel):
    """Leads change description, goals and theme; name, focus area and visibility are
    the coordinators'."""

    name: str | None = Field(default=None, max_length=120)
    focus_area: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=5000)
    visibility: Visibility | None = None
    goals: GoalIds | None = None
    theme: str | None = Field(
        default=None, max_length=64, description='A theme\'s slug; "" takes the theme away.'
    )


class MembershipOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.MEMBERSHIP_OUT]})

    group: str
    user: PersonOut
    role: MemberRole
    created_at: datetime


class MembershipIn(BaseModel):
    role: MemberRole


class JoinIn(BaseModel):
    message: str = Field(default="", max_length=2000)


class JoinRequestOut(BaseModel):
    id: int
    group: str
    user_id: int
    message: str
    status: JoinRequestStatus
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def from_model(cls, request: JoinRequest, group: str) -> JoinRequestOut:
        assert request.id is not None
        return cls(
            id=request.id,
            group=group,
            user_id=request.user_id,
            message=request.message,
            status=request.status,
            created_at=request.created_at,
            decided_at=request.decided_at,
        )


class PostOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.POST_OUT]})

    id: int
    thread_id: int
    position: int
    author: PersonOut
    body: str | None
    body_html: str | None
    reply_to_id: int | None
    created_at: datetime
    updated_at: datetime | None
    edited_at: datetime | None
    version: int
    deleted: bool
    hidden: bool

    @classmethod
    def from_view(cls, view: PostView) -> PostOut:
        post, author = view.post, view.author
        assert post.id is not None
        assert author.id is not None
        tombstone = post.deleted_at is not None or post.hidden_at is not None
        return cls(
            id=post.id,
            thread_id=post.thread_id,
            position=post.position,
            author=PersonOut.of(author, view.municipality),
            body=None if tombstone else post.body,
            body_html=None if tombstone else post.body_html,
            reply_to_id=post.reply_to_id,
            created_at=post.created_at,
            updated_at=post.updated_at,
            edited_at=post.edited_at,
            version=post.version,
            deleted=post.deleted_at is not None,
            hidden=post.hidden_at is not None,
        )


class ThreadOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.THREAD_OUT]})

    id: int
    group: str
    title: str
    author_id: int
    pinned: bool
    locked: bool
    post_count: int
    last_posted_at: datetime
    last_poster_name: str
    created_at: datetime
    version: int
    goals: list[int]
    lock_reason: str | None = None
    slow_mode_s: int = 0
    moved_from: str | None = None
    """The slug of the group the discussion was last moved out of."""
    first_post: PostOut | None = None
    theme: str | None = None
    """The slug of the yearly theme the discussion carries."""

    @classmethod
    def from_model(
        cls,
        thread: Thread,
        group: str,
        goals: list[int],
        first_post: PostOut | None = None,
        moved_from: str | None = None,
        theme: str | None = None,
    ) -> ThreadOut:
        assert thread.id is not None
        return cls(
            id=thread.id,
            group=group,
            title=thread.title,
            author_id=thread.author_id,
            pinned=thread.pinned,
            locked=thread.locked,
            post_count=thread.post_count,
            last_posted_at=thread.last_posted_at,
            last_poster_name=thread.last_poster_name,
            created_at=thread.created_at,
            version=thread.version,
            goals=goals,
            lock_reason=thread.lock_reason,
            slow_mode_s=thread.slow_mode_s,
            moved_from=moved_from,
            first_post=first_post,
            theme=theme,
        )

    @classmethod
    def from_view(cls, view: ThreadView) -> ThreadOut:
        """A discussion as `threads.get_thread` shows it to the caller."""
        moved_from = view.moved_from.slug if view.moved_from is not None else None
        theme = view.theme.slug if view.theme is not None else None
        return cls.from_model(
            view.thread, view.group.slug, view.goals, moved_from=moved_from, theme=theme
        )


class ThreadIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.THREAD_IN]})

    title: str = Field(max_length=200)
    body: str = Field(max_length=50_000)
    goals: GoalIds = Field(default_factory=list)
    theme: str | None = Field(default=None, max_length=64, description=THEME)


class PostIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.POST_IN]})

    body: str = Field(max_length=50_000)
    reply_to_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class PostPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.POST_PATCH]})

    body: str = Field(max_length=50_000)


class ResourceIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESOURCE_IN]})

    title: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    kind: ResourceKind
    municipality: str = Field(max_length=64)
    link: str | None = Field(default=None, max_length=2000)
    goals: GoalIds = Field(default_factory=list)
    background: str = Field(default="", max_length=20_000)
    purpose: str = Field(default="", max_length=20_000)
    implementation: str = Field(default="", max_length=20_000)
    results: str = Field(default="", max_length=20_000)
    lessons: str = Field(default="", max_length=20_000)
    institution: str = Field(default="", max_length=200, description=RESEARCH_ONLY)
    authors: str = Field(default="", max_length=500, description=RESEARCH_ONLY)
    year: PublicationYear | None = None
    doi: str | None = Field(default=None, max_length=250, description=DOI)
    implications: str = Field(default="", max_length=20_000, description=IMPLICATIONS)
    builds_on: ResearchIds = Field(default_factory=list)
    theme: str | None = Field(default=None, max_length=64, description=THEME)

    def sections(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CASE_SECTIONS}

    def research(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RESEARCH_FIELDS}


class ResourcePatch(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=2000)
    link: str | None = Field(default=None, max_length=2000)
    goals: GoalIds | None = None
    background: str | None = Field(default=None, max_length=20_000)
    purpose: str | None = Field(default=None, max_length=20_000)
    implementation: str | None = Field(default=None, max_length=20_000)
    results: str | None = Field(default=None, max_length=20_000)
    lessons: str | None = Field(default=None, max_length=20_000)
    institution: str | None = Field(default=None, max_length=200, description=RESEARCH_ONLY)
    authors: str | None = Field(default=None, max_length=500, description=RESEARCH_ONLY)
    year: PublicationYear | None = None
    doi: str | None = Field(default=None, max_length=250, description=DOI)
    implications: str | None = Field(default=None, max_length=20_000, description=IMPLICATIONS)
    builds_on: ResearchIds | None = None
    """Replaces the research named (what the caller may not read stays); null keeps it."""
    theme: str | None = Field(default=None, max_length=64, description=THEME_PATCH)

    def sections(self) -> dict[str, str]:
        return {n: getattr(self, n) for n in CASE_SECTIONS if getattr(self, n) is not None}

    def research(self) -> dict[str, Any]:
        """The research fields the request names; an explicit null clears one."""
        return {n: getattr(self, n) for n in RESEARCH_FIELDS if n in self.model_fields_set}

    def theme_change(self) -> str | None:
        """The theme to carry: None keeps it, "" takes it away (an explicit null)."""
        if "theme" not in self.model_fields_set:
            return None
        return self.theme or ""


class AdoptionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ADOPTION_IN]})

    municipality: str | None = Field(default=None, max_length=64)
    """The municipality's slug; the caller's own when left out."""
    summary: str = Field(max_length=2000)
    outcome: str = Field(default="", max_length=500)
    adopted_on: date | None = None


class AdoptionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ADOPTION_OUT]})

    id: int
    municipality: str
    summary: str
    outcome: str
    adopted_on: date | None
    created_at: datetime

    @classmethod
    def from_model(cls, adoption: Adoption, municipality: str) -> AdoptionOut:
        assert adoption.id is not None
        return cls(
            id=adoption.id,
            municipality=municipality,
            summary=adoption.summary,
            outcome=adoption.outcome,
            adopted_on=adoption.adopted_on,
            created_at=adoption.created_at,
        )


class ResourceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESOURCE_OUT]})

    id: int
    group: str
    title: str
    summary: str
    kind: ResourceKind
    municipality: str
    contact: str
    link: str | None
    sections: dict[str, str]
    sections_html: dict[str, str]
    thread_id: int | None
    adoption_count: int
    goals: list[int]
    version: int
    created_at: datetime
    updated_at: datetime | None
    adoptions: list[AdoptionOut] | None = None
    institution: str = ""
    authors: str = ""
    year: int | None = None
    doi: str | None = None
    implications: str = ""
    implications_html: str = ""
    builds_on: list[int] = Field(default_factory=list)
    """Ids of the research items it builds on that the caller may read."""
    used_by: list[int] = Field(default_factory=list)
    """For a research item: ids of the resources building on it that the caller may read."""
    theme: str | None = None

    @classmethod
    def build(
        cls,
        resource: Resource,
        group: str,
        municipality: str,
        goals: list[int],
        adoptions: list[AdoptionOut] | None = None,
        *,
        builds_on: list[int] | None = None,
        used_by: list[int] | None = None,
        theme: str | None = None,
    ) -> ResourceOut:
        assert resource.id is not None
        return cls(
            id=resource.id,
            group=group,
            title=resource.title,
            summary=resource.summary,
            kind=resource.kind,
            municipality=municipality,
            contact=resource.contact_name,
            link=resource.link,
            sections={n: getattr(resource, n) for n in CASE_SECTIONS},
            sections_html={n: getattr(resource, f"{n}_html") for n in CASE_SECTIONS},
            thread_id=resource.thread_id,
            adoption_count=resource.adoption_count,
            goals=goals,
            version=resource.version,
            created_at=resource.created_at,
            updated_at=resource.updated_at,
            adoptions=adoptions,
            institution=resource.institution,
            authors=resource.authors,
            year=resource.published_year,
            doi=resource.doi,
            implications=resource.implications,
            implications_html=resource.implications_html,
            builds_on=builds_on or [],
            used_by=used_by or [],
            theme=theme,
        )


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000, description=REASON)


class HideIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.HIDE_IN]})

    reason: str = Field(max_length=2000, description=REASON)


class MoveIn(BaseModel):
    group: str = Field(min_length=1, max_length=64)


class ThreadPatch(BaseModel):
    """What moderators change of a discussion besides pin, lock and move."""

    title: str | None = Field(default=None, max_length=1000)
    slow_mode_s: int | None = Field(default=None, ge=0, le=86_400)


class FlagIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.FLAG_IN]})

    reason: str = Field(max_length=2000, description=REASON)


class FlagResolveIn(BaseModel):
    action: Literal["hide", "dismiss"]
    reason: str = Field(default="", max_length=2000, description=REASON)


class FlagCreatedOut(BaseModel):
    id: int
    post_id: int
    reason: str
    created_at: datetime


class FlagOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.FLAG_OUT]})

    id: int
    post_id: int
    thread_id: int
    reasons: list[str]
    count: int
    status: Literal["open", "resolved"]
    resolution: Literal["hide", "dismiss"] | None
    resolution_reason: str | None
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_item(cls, item: FlagItem) -> FlagOut:
        assert item.post.id is not None
        assert item.thread.id is not None
        return cls(
            id=item.id,
            post_id=item.post.id,
            thread_id=item.thread.id,
            reasons=item.reasons,
            count=item.count,
            status="open" if item.open else "resolved",
            resolution=item.resolution,
            resolution_reason=item.resolution_reason,
            created_at=item.created_at,
            resolved_at=item.resolved_at,
        )


class MunicipalityStatsOut(BaseModel):
    slug: str
    name: str
    active_30d: int
    """Active officials seen (signed in, posted, read) within 30 days of now."""
    active_90d: int
    posts: int
    threads: int
    """New discussions started in the period."""
    resources: int
    """Resources shared (created) in the period."""
    adoptions: int
    """Adoptions recorded in the period."""


class MonthStatsOut(BaseModel):
    month: str = Field(examples=["2026-03"])
    posts: int
    new_discussions: int


class GroupStatsOut(BaseModel):
    slug: str
    name: str
    months: list[MonthStatsOut]
    """Every month of the period, months without posts too."""


class StatsOut(BaseModel):
    """Activity in the period (posts and discussions count whole months), and what waits."""

    from_: date = Field(alias="from")
    to: date
    municipalities: list[MunicipalityStatsOut]
    groups: list[GroupStatsOut]
    open_flags: int
    """Posts with open flags."""
    pending_join_requests: int
    pending_signups: int


class RepresentativeOut(BaseModel):
    id: int
    name: str
    title: str


class MunicipalityYearOut(BaseModel):
    year: int
    status: Literal["invoiced", "paid", "not_member"]
    fee_sek: int
    note: str
    updated_at: datetime | None


class MunicipalityAdminOut(BaseModel):
    """A municipality as the coordinators administer it."""

    id: int
    slug: str
    name: str
    county: str
    domains: list[str]
    representative: RepresentativeOut | None
    is_member: bool
    current_year: MunicipalityYearOut | None
    """The membership of the current year, if recorded."""


class MunicipalityIn(BaseModel):
    name: str = Field(max_length=120)
    slug: str | None = Field(
        default=None, max_length=64, description="Folded from the name when left out."
    )
    county: str = Field(default="", max_length=120)
    domains: list[Annotated[str, Field(max_length=253)]] = Field(default=[], max_length=20)


class MunicipalityPatch(BaseModel):
    name: str | None = Field(default=None, max_length=120)
    county: str | None = Field(default=None, max_length=120)
    domains: list[Annotated[str, Field(max_length=253)]] | None = Field(
        default=None, max_length=20, description="Replaces the list of email domains."
    )
    representative_id: int | None = Field(
        default=None, description="An active official of the municipality; null: none."
    )


class MunicipalityYearIn(BaseModel):
    status: str = Field(max_length=32, description="invoiced, paid or not_member")
    fee_sek: int | None = Field(default=None, description="10 000 for a new year if left out.")
    note: str | None = Field(default=None, max_length=500)


class ThemeOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    starts_on: date
    ends_on: date
    current: bool
    """The period holds today."""


class ThemeIn(BaseModel):
    name: str = Field(max_length=120)
    slug: str | None = Field(
        default=None, max_length=64, description="Folded from the name when left out."
    )
    description: str = Field(default="", max_length=5000)
    starts_on: date
    ends_on: date


class ThemePatch(BaseModel):
    name: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    starts_on: date | None = None
    ends_on: date | None = None


class AuditActorOut(BaseModel):
    id: int
    name: str


class AuditEntryOut(BaseModel):
    """One audited act: `before` and `after` hold the fields it changed."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.AUDIT_ENTRY_OUT]})

    id: int
    at: datetime
    actor: AuditActorOut | None = Field(description="null when the system (CLI) acted.")
    action: str
    object_type: str
    object_id: int | None
    group: str | None = Field(description="The group's slug, if the act was in one.")
    reason: str | None
    before: dict[str, object] | None
    after: dict[str, object] | None

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEntryOut:
        entry = row.entry
        assert entry.id is not None
        actor = (
            AuditActorOut(id=entry.actor_id, name=row.actor_name or "")
            if entry.actor_id is not None
            else None
        )
        return cls(
            id=entry.id,
            at=entry.created_at,
            actor=actor,
            action=entry.action,
            object_type=entry.target_type,
            object_id=entry.target_id,
            group=row.group_slug,
            reason=entry.reason or None,
            before=entry.before,
            after=entry.after,
        )


class OfficialGroupOut(BaseModel):
    slug: str
    name: str
    lead: bool


class InvitationOut(BaseModel):
    sent_at: datetime
    expires_at: datetime
    expired: bool


class OfficialOut(UserOut):
    """An official as the coordinators see them: their groups, when they were last active
    and, while they have not accepted it, their invitation."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.OFFICIAL_OUT]})

    groups: list[OfficialGroupOut]
    last_active_at: datetime | None
    suspended_at: datetime | None
    invitation: InvitationOut | None

    @classmethod
    def from_view(cls, view: OfficialView) -> OfficialOut:
        base = UserOut.from_model(view.user)
        invitation = view.invitation
        return cls(
            **base.model_dump(),
            groups=[OfficialGroupOut(slug=g.slug, name=g.name, lead=g.lead) for g in view.groups],
            last_active_at=view.user.last_active_at,
            suspended_at=view.user.suspended_at,
            invitation=(
                InvitationOut(
                    sent_at=invitation.sent_at,
                    expires_at=invitation.expires_at,
                    expired=invitation.expired,
                )
                if invitation
                else None
            ),
        )


class SuspendIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000, description=REASON)


class OfficialPatch(BaseModel):
    municipality: str | None = Field(default=None, max_length=64)
    is_coordinator: bool | None = None


class PostChangeOut(BaseModel):
    """A post's current state in the changes feed; deleted and hidden posts are
    tombstones with `body` and `body_html` null."""

    id: int
    thread_id: int
    group: str
    author: PersonOut
    body: str | None
    body_html: str | None
    reply_to_id: int | None
    created_at: datetime
    updated_at: datetime | None
    version: int
    deleted: bool
    hidden: bool

    @classmethod
    def from_change(cls, change: PostChange) -> PostChangeOut:
        return cls.model_validate(change.data())


class ResourceChangeOut(BaseModel):
    """A resource's current state in the changes feed; a deleted one is a tombstone with
    its texts null."""

    id: int
    group: str
    title: str | None
    summary: str | None
    kind: ResourceKind
    municipality: str
    link: str | None
    sections: dict[str, str] | None
    sections_html: dict[str, str] | None
    thread_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime | None
    deleted: bool

    @classmethod
    def from_change(cls, change: ResourceChange) -> ResourceChangeOut:
        return cls.model_validate(change.data())


class SyncOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str
    has_more: bool
