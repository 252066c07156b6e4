"""The services: one module per concern; :class:`AccountKit` wires them."""

from accountkit.services._kit import AccountKit
from accountkit.services.customers import CustomerService, StorefrontContext
from accountkit.services.registration import GuestSource, RegistrationService
from accountkit.services.reports import ReportService
from accountkit.services.users import UserService

__all__ = [
    "AccountKit",
    "CustomerService",
    "GuestSource",
    "RegistrationService",
    "ReportService",
    "StorefrontContext",
    "UserService",
]
