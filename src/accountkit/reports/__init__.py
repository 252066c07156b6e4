"""Read models: the customer overview, the order summary and the personal-data export.

``kit.reports`` (:class:`accountkit.ReportService`) serves them; these are the records it
returns. They read through the storage Protocols only.
"""

from accountkit.reports.export import ExportedSession, PersonalData
from accountkit.reports.overview import CustomerStatus, OverviewRow
from accountkit.reports.summary import CurrencySummary, OrderSummary, summarise

__all__ = [
    "CurrencySummary",
    "CustomerStatus",
    "ExportedSession",
    "OrderSummary",
    "OverviewRow",
    "PersonalData",
    "summarise",
]
