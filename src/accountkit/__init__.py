"""accountkit: users, customers, sign-in and privacy rules for online shops.

Example:
    >>> from accountkit import AccountKit, SalesChannel, ShopPolicy
    >>> from accountkit.storage import MemoryStore
    >>> kit = AccountKit(store=MemoryStore(), secret_keys=["change-me-32-bytes-of-randomness"],
    ...                  channels=[SalesChannel("web", ShopPolicy.b2c_open())])
"""

from accountkit._clock import Clock, FrozenClock, SystemClock
from accountkit.domain import (
    Actor,
    ActorKind,
    Address,
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Event,
    EventKind,
    Membership,
    PurchaseConditions,
    Role,
    User,
    UserStatus,
    UserTier,
)
from accountkit.errors import (
    AccountKitError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PolicyError,
    StorageError,
    ValidationError,
)
from accountkit.notify import Message, MessageKind, Notifier, Outbox
from accountkit.policies import (
    CustomerNumbering,
    Field,
    GuestCheckout,
    LoginRequirement,
    MembershipRule,
    NumberingMode,
    RegistrationAccess,
    RegistrationMode,
    SalesChannel,
    ShopPolicy,
)
from accountkit.serialization import make_converter
from accountkit.services import (
    AccountKit,
    CustomerService,
    GuestSource,
    RegistrationService,
    ReportService,
    StorefrontContext,
    UserService,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AccountKit",
    "AccountKitError",
    "Actor",
    "ActorKind",
    "Address",
    "AuthenticationError",
    "Clock",
    "ConflictError",
    "Customer",
    "CustomerGroup",
    "CustomerKind",
    "CustomerNumbering",
    "CustomerService",
    "DocumentContact",
    "DocumentKind",
    "Event",
    "EventKind",
    "Field",
    "FrozenClock",
    "GuestCheckout",
    "GuestSource",
    "LoginRequirement",
    "Membership",
    "MembershipRule",
    "Message",
    "MessageKind",
    "NotFoundError",
    "Notifier",
    "NumberingMode",
    "Outbox",
    "PolicyError",
    "PurchaseConditions",
    "RegistrationAccess",
    "RegistrationMode",
    "RegistrationService",
    "ReportService",
    "Role",
    "SalesChannel",
    "ShopPolicy",
    "StorageError",
    "StorefrontContext",
    "SystemClock",
    "User",
    "UserService",
    "UserStatus",
    "UserTier",
    "ValidationError",
    "__version__",
    "make_converter",
]
