"""Tables and data-access functions. Imports nothing from `bot` or `handlers`."""

from models.base import Base
from models.entities import (
    AgendaItem,
    Audience,
    AuditRecord,
    Delegate,
    FaqEntry,
    Mission,
    OutboxMessage,
    OutboxStatus,
    Question,
    QuestionStatus,
    Registration,
    RegistrationStatus,
    Role,
    RoleGrant,
    SessionKind,
    Venue,
    agenda_item_attendees,
)

__all__ = [
    "AgendaItem",
    "Audience",
    "AuditRecord",
    "Base",
    "Delegate",
    "FaqEntry",
    "Mission",
    "OutboxMessage",
    "OutboxStatus",
    "Question",
    "QuestionStatus",
    "Registration",
    "RegistrationStatus",
    "Role",
    "RoleGrant",
    "SessionKind",
    "Venue",
    "agenda_item_attendees",
]
