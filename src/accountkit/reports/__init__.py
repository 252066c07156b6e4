"""Read models for the operator: the customer overview and the order summary.

``kit.reports`` (:class:`accountkit.ReportService`) serves them; these are the records it
returns. They read through the storage Protocols only.
"""

from accountkit.reports.overview import CustomerStatus, OverviewRow
from accountkit.reports.summary import CurrencySummary, OrderSummary, summarise

__all__ = ["CurrencySummary", "CustomerStatus", "OrderSummary", "OverviewRow", "summarise"]
