"""The account domain: frozen records and pure rules. Imports nothing of accountkit but errors."""

from accountkit.domain.addresses import Address
from accountkit.domain.consents import Consent, ContactPurpose
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
from accountkit.domain.orders import AddressRole, GuestContact, Order, OrderStatus
from accountkit.domain.signin import (
    AttemptWindow,
    IssuedToken,
    LoginCode,
    Session,
    SignInMethod,
)
from accountkit.domain.users import User, UserStatus, UserTier

__all__ = [
    "Actor",
    "ActorKind",
    "Address",
    "AddressRole",
    "AttemptWindow",
    "Consent",
    "ContactPurpose",
    "Customer",
    "CustomerGroup",
    "CustomerKind",
    "DocumentContact",
    "DocumentKind",
    "Event",
    "EventKind",
    "GuestContact",
    "IssuedToken",
    "LoginCode",
    "Membership",
    "Order",
    "OrderStatus",
    "PurchaseConditions",
    "Role",
    "Session",
    "SignInMethod",
    "User",
    "UserStatus",
    "UserTier",
]
