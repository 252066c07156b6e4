"""JSON for every domain record, through a cattrs converter made on demand.

Like cattrs' own ``preconf`` modules, this offers a factory instead of a global converter:
call :func:`make_converter` and keep the result.

Example:
    >>> import json
    >>> from accountkit import Actor
    >>> converter = make_converter()
    >>> text = json.dumps(converter.unstructure(Actor.operator("staff-1")))
    >>> converter.structure(json.loads(text), Actor)
    Actor(kind=<ActorKind.OPERATOR: 'operator'>, id='staff-1')
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter as _make_json_converter

from accountkit.domain import User

__all__ = ["make_converter"]


def _structure_datetime(value: str, _: type) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a stored time must carry a time zone")
    return moment.astimezone(UTC)


def make_converter() -> cattrs.Converter:
    """Return a new converter that turns accountkit records into JSON-ready values and back.

    Times become ISO 8601 strings with their offset, dates ``YYYY-MM-DD``, Decimals strings
    (so no precision is lost), enums their values, read-only mappings plain dicts.

    A user's ``password_hash`` is never written, also not inside another record (such as a
    ``StorefrontContext``): JSON goes to logs, caches and browsers, where a hash must not.
    Structuring a user from such JSON gives ``password_hash=None``.
    """
    converter = _make_json_converter()
    converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda v, _: Decimal(v))
    # The records use postponed annotations; the generated hook needs the real types, or it
    # would copy enum members and dates through unconverted.
    attrs.resolve_types(User)
    converter.register_unstructure_hook(
        User, make_dict_unstructure_fn(User, converter, password_hash=override(omit=True))
    )
    return converter
