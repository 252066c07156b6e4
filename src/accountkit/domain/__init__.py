"""The account domain: frozen records and pure rules. Imports nothing of accountkit but errors."""

from accountkit.domain.addresses import Address
from accountkit.domain.customers import (
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Membership,
    PurchaseConditions,
    Role,
)
from accountkit.domain.events import Actor, ActorKind, Event, EventKind
from accountkit.domain.users import User, UserStatus, UserTier

__all__ = [
    "Actor",
    "ActorKind",
    "Address",
    "Customer",
    "CustomerGroup",
    "CustomerKind",
    "DocumentContact",
    "DocumentKind",
    "Event",
    "EventKind",
    "Membership",
    "PurchaseConditions",
    "Role",
    "User",
    "UserStatus",
    "UserTier",
]
