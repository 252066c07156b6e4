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

import cattrs
from cattrs.preconf.json import make_converter as _make_json_converter

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
    """
    converter = _make_json_converter()
    converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda v, _: Decimal(v))
    return converter
