"""SQLModel tables only. Importing this package registers every table on the metadata."""

from models.accounts import ApiToken, Invitation, User
from models.activity import ActivityMonth, ChangeCounter
from models.base import UTCDateTime, utcnow
from models.directory import Goal, Municipality, MunicipalityDomain, MunicipalityYear, Theme
from models.enums import (
    DeliveryStatus,
    EventKind,
    FeeStatus,
    FlagStatus,
    FocusArea,
    JoinRequestStatus,
    Locale,
    MailPace,
    MemberRole,
    NotificationKind,
    RegistrationStatus,
    ResourceKind,
    Scope,
    SignupStatus,
    UserStatus,
    Visibility,
)
from models.events import Event, EventDocument, EventGoal, ProgrammeItem, Registration
from models.forum import Post, PostRevision, Thread, ThreadGoal, ThreadRead
from models.groups import Group, GroupGoal, JoinRequest, Membership
from models.integrations import Job, Webhook, WebhookDelivery
from models.moderation import AuditEntry, Flag
from models.notifications import Notification, Subscription
from models.resources import (
    CASE_SECTIONS,
    Adoption,
    Attachment,
    Resource,
    ResourceGoal,
    ResourceResearch,
)
from models.search import SearchEntry
from models.sessions import PasswordReset, SignupRequest, WebSession

__all__ = [
    "CASE_SECTIONS",
    "ActivityMonth",
    "Adoption",
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "ChangeCounter",
    "DeliveryStatus",
    "Event",
    "EventDocument",
    "EventGoal",
    "EventKind",
    "FeeStatus",
    "Flag",
    "FlagStatus",
    "FocusArea",
    "Goal",
    "Group",
    "GroupGoal",
    "Invitation",
    "Job",
    "JoinRequest",
    "JoinRequestStatus",
    "Locale",
    "MailPace",
    "MemberRole",
    "Membership",
    "Municipality",
    "MunicipalityDomain",
    "MunicipalityYear",
    "Notification",
    "NotificationKind",
    "PasswordReset",
    "Post",
    "PostRevision",
    "ProgrammeItem",
    "Registration",
    "RegistrationStatus",
    "Resource",
    "ResourceGoal",
    "ResourceKind",
    "ResourceResearch",
    "Scope",
    "SearchEntry",
    "SignupRequest",
    "SignupStatus",
    "Subscription",
    "Theme",
    "Thread",
    "ThreadGoal",
    "ThreadRead",
    "UTCDateTime",
    "User",
    "UserStatus",
    "Visibility",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
