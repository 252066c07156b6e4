"""Where accountkit keeps personal data: every column of every table and every field of
every record, classified. A new column or field fails tests/gdpr/test_registry.py until it
is added here, so that export and erasure cannot forget it.

- PERSONAL: data about the person; the export shows it (unless it is a SECRET) and erasure
  removes or replaces it.
- SECRET: personal, but a credential (hashes, codes, token notes): never exported, always
  removed by erasure.
- Everything else is named in NOT_PERSONAL: ids, codes, counters, times, amounts.
"""

from __future__ import annotations

from accountkit.domain import (
    Address,
    AttemptWindow,
    Consent,
    Customer,
    CustomerGroup,
    DocumentContact,
    Event,
    IssuedToken,
    LoginCode,
    Membership,
    PurchaseConditions,
    Session,
    User,
)
from accountkit.domain.orders import GuestContact, Order

PERSONAL_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset(
        {"email", "email_key", "given_name", "family_name", "birth_date", "phone", "profile"}
    ),
    "customers": frozenset(
        {"name", "surname", "sort_key", "document_contacts", "note", "vat_id", "bill_to", "ship_to"}
    ),
    "events": frozenset({"data"}),
    "orders": frozenset({"guest_email", "guest_name", "guest_family_name", "sort_key"}),
    "addresses": frozenset(
        {"name", "company", "street", "extra", "postal_code", "city", "address_key"}
    ),
    "attempts": frozenset({"key"}),
}
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    "login_codes": frozenset({"code_hash"}),
    "issued_tokens": frozenset({"note"}),
}
NOT_PERSONAL_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset(
        {"id", "tier", "status", "email_verified_at", "must_complete_profile",
         "security_version", "version", "created_at", "updated_at"}
    ),
    "customers": frozenset(
        {"id", "kind", "number", "group_id", "price_list_id", "discount", "channel", "version",
         "created_at", "updated_at", "last_order_at", "has_test_order"}
    ),
    "groups": frozenset({"id", "name", "price_list_id", "assortment", "created_at"}),
    "memberships": frozenset(
        {"user_id", "customer_id", "role", "is_active", "is_exclusive", "assigned_by_kind",
         "assigned_by_id", "assigned_at", "version"}
    ),
    "events": frozenset({"seq", "id", "at", "actor_kind", "actor_id", "kind", "user_id",
                         "customer_id"}),
    "sequences": frozenset({"name", "value"}),
    "used_tokens": frozenset({"token_id", "user_id", "purpose", "used_at"}),
    "orders": frozenset(
        {"id", "number", "channel", "placed_at", "total", "currency", "status", "test_order",
         "signed_in", "user_id", "customer_id", "total_minor", "erased", "version",
         "updated_at"}
    ),
    "addresses": frozenset({"id", "order_id", "customer_id", "user_id", "role", "country",
                            "created_at"}),
    "consents": frozenset({"id", "user_id", "purpose", "granted", "at", "source",
                           "wording_version"}),
    "issued_tokens": frozenset({"user_id", "purpose", "token_id", "issued_at"}),
    "sessions": frozenset({"id", "user_id", "method", "security_version", "created_at",
                           "last_seen_at"}),
    "login_codes": frozenset({"user_id", "id", "created_at", "expires_at", "failures"}),
    "attempts": frozenset({"started_at", "failures"}),
    "customer_numbers": frozenset({"number", "customer_id", "live", "retired_at"}),
}  # fmt: skip

PERSONAL_FIELDS: dict[type, frozenset[str]] = {
    User: frozenset({"email", "given_name", "family_name", "birth_date", "phone", "profile"}),
    Customer: frozenset(
        {"name", "surname", "document_contacts", "note", "vat_id", "bill_to", "ship_to"}
    ),
    DocumentContact: frozenset({"email", "contact_person"}),
    Address: frozenset({"name", "company", "street", "extra", "postal_code", "city"}),
    GuestContact: frozenset({"email", "given_name", "family_name"}),
    Order: frozenset({"guest", "billing", "shipping"}),
    Event: frozenset({"data"}),
    AttemptWindow: frozenset({"key"}),
}
SECRET_FIELDS: dict[type, frozenset[str]] = {
    User: frozenset({"password_hash"}),
    LoginCode: frozenset({"code_hash"}),
    IssuedToken: frozenset({"note"}),
    Session: frozenset({"id"}),
}
NOT_PERSONAL_FIELDS: dict[type, frozenset[str]] = {
    User: frozenset(
        {"id", "tier", "status", "email_verified_at", "must_complete_profile",
         "security_version", "version", "created_at", "updated_at"}
    ),
    Customer: frozenset(
        {"id", "kind", "number", "group_id", "conditions", "channel", "version", "created_at",
         "updated_at"}
    ),
    DocumentContact: frozenset({"kind"}),
    Address: frozenset({"country"}),
    GuestContact: frozenset(),
    Order: frozenset(
        {"id", "number", "channel", "placed_at", "total", "currency", "status", "test_order",
         "signed_in", "user_id", "customer_id", "erased", "version", "updated_at"}
    ),
    Event: frozenset({"id", "at", "actor", "kind", "user_id", "customer_id"}),
    Membership: frozenset(
        {"user_id", "customer_id", "role", "active", "assigned_by", "assigned_at", "version"}
    ),
    Consent: frozenset({"id", "user_id", "purpose", "granted", "at", "source",
                        "wording_version"}),
    Session: frozenset({"user_id", "method", "security_version", "created_at",
                        "last_seen_at"}),
    LoginCode: frozenset({"id", "user_id", "created_at", "expires_at", "failures"}),
    IssuedToken: frozenset({"token_id", "user_id", "purpose", "issued_at"}),
    AttemptWindow: frozenset({"started_at", "failures"}),
    CustomerGroup: frozenset({"id", "name", "price_list_id", "assortment", "created_at"}),
    PurchaseConditions: frozenset({"price_list_id", "discount"}),
}  # fmt: skip
