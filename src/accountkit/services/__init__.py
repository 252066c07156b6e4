"""The services: one module per concern; :class:`AccountKit` wires them."""

from accountkit.services._kit import AccountKit
from accountkit.services._search import Page
from accountkit.services._signin import SignIn
from accountkit.services.access import AccessService, Action, Browse
from accountkit.services.auth import AuthService
from accountkit.services.customers import CustomerService, StorefrontContext
from accountkit.services.limits import AttemptLimiter, StoreLimiter
from accountkit.services.orders import OrderService
from accountkit.services.privacy import ErasureReport, PrivacyService, PurgeReport
from accountkit.services.registration import GuestSource, Registration, RegistrationService
from accountkit.services.reports import ReportService
from accountkit.services.users import ImportedUser, UserService

__all__ = [
    "AccessService",
    "AccountKit",
    "Action",
    "AttemptLimiter",
    "AuthService",
    "Browse",
    "CustomerService",
    "ErasureReport",
    "GuestSource",
    "ImportedUser",
    "OrderService",
    "Page",
    "PrivacyService",
    "PurgeReport",
    "Registration",
    "RegistrationService",
    "ReportService",
    "SignIn",
    "StoreLimiter",
    "StorefrontContext",
    "UserService",
]
