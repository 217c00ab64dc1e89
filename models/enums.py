"""The closed lists of values; each is stored as VARCHAR plus a CHECK constraint."""

import enum


class Visibility(enum.StrEnum):
    OPEN = "open"  # every signed-in official reads the content
    CLOSED = "closed"  # listed; content for members only
    SECRET = "secret"  # noqa: S105 - not listed; invitation only


class FocusArea(enum.StrEnum):
    YOUTH = "youth"
    ATTRACTIVENESS = "attractiveness"
    COMMUNICATION = "communication"
    DIVERSITY = "diversity"
    EQUALITY = "equality"
    OTHER = "other"


class MemberRole(enum.StrEnum):
    MEMBER = "member"
    LEAD = "lead"


class JoinRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class UserStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ERASED = "erased"  # personal data removed (GDPR erasure); the row stays for their posts


class Locale(enum.StrEnum):
    SV = "sv"
    EN = "en"


class MailPace(enum.StrEnum):
    """How an official wants their notifications by mail: each at once, gathered once a
    day or once a week (a digest), or not at all (the app still shows them)."""

    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class ResourceKind(enum.StrEnum):
    MODEL = "model"
    TOOL = "tool"
    PROCESS = "process"
    RESEARCH = "research"


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class NotificationKind(enum.StrEnum):
    REPLY = "reply"
    MENTION = "mention"
    NEW_THREAD = "new_thread"
    JOIN_REQUEST = "join_request"
    JOIN_ANSWER = "join_answer"
    FLAG = "flag"
    FLAG_OUTCOME = "flag_outcome"
    POST_HIDDEN = "post_hidden"
    POST_RESTORED = "post_restored"
    WEBHOOK_DISABLED = "webhook_disabled"
    EVENT_CHANGED = "event_changed"  # its time or place changed
    EVENT_CANCELLED = "event_cancelled"
    EVENT_MOVED_UP = "event_moved_up"  # from the waiting list to a place


class SignupStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class Scope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class FeeStatus(enum.StrEnum):
    """A municipality's membership of the association in one year (10 000 kr a year)."""

    INVOICED = "invoiced"
    PAID = "paid"
    NOT_MEMBER = "not_member"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: the webhook was disabled or deleted first


class EventKind(enum.StrEnum):
    SEMINAR = "seminar"
    WORKSHOP = "workshop"
    CONFERENCE = "conference"
    MEETING = "meeting"


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
