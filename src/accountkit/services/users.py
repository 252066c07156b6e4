"""Users as the operator and the user see them: ``kit.users``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from accountkit.domain import Actor, EventKind, User, UserStatus, UserTier
from accountkit.domain._enums import as_enum
from accountkit.domain.validation import (
    lookup_key,
    normalise_email,
    validate_birth_date,
    validate_name,
    validate_profile,
)
from accountkit.security.passwords import check_password
from accountkit.services._base import (
    Service,
    load_user,
    require_active_self,
    require_self_or_staff,
    require_staff,
)
from accountkit.services._rules import require_tier_fields
from accountkit.storage._protocols import Transaction

__all__ = ["UserService"]


class UserService:
    """Reading and changing users: ``kit.users``."""

    def __init__(self, service: Service) -> None:
        self._s = service

    def get(self, user_id: str) -> User:
        """Return the user.

        Raises:
            UserNotFound: No user has this id.
        """
        return self._s._read(lambda tx: load_user(tx, user_id))

    def find_by_email(self, email: str) -> User | None:
        """Return the user with this e-mail address (any case), or ``None``.

        Raises:
            InvalidEmail: The address is malformed (SpecialUseDomain: under ``.test`` and
                the like, unless the kit allows them).
        """
        key = lookup_key(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        return self._s._read(lambda tx: tx.users.get_by_email(key))

    def update_profile(
        self,
        actor: Actor,
        user_id: str,
        *,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
        profile: Mapping[str, str] | None = None,
        expected_version: int | None = None,
    ) -> User:
        """Change a user's names, e-mail or free-form profile; ``None`` leaves a field as is.

        ``profile`` replaces the whole free-form profile. A new e-mail address raises the
        user's ``security_version``, which kills tokens issued before.

        Args:
            actor: The user themself, or the operator.
            user_id: The user.
            expected_version: The ``version`` the caller read; a different stored version
                raises ConcurrentUpdate instead of overwriting someone else's change.

        Raises:
            NotPermitted: Another user acts.
            UserDisabled: The user acts as themself while DISABLED or PENDING_APPROVAL
                (the operator may still change them).
            InvalidValue: ``actor`` is not an Actor, or a value is out of range.
            UserNotFound, InvalidName, InvalidEmail, EmailTaken, ConcurrentUpdate.
        """
        require_self_or_staff(actor, user_id)
        changes: dict[str, Any] = {}
        if given_name is not None:
            changes["given_name"] = validate_name(given_name, field="given_name")
        if family_name is not None:
            changes["family_name"] = validate_name(family_name, field="family_name")
        if email is not None:
            changes["email"] = normalise_email(
                email, allow_special_use=self._s._ctx.allow_special_use_domains
            )
        if profile is not None:
            changes["profile"] = validate_profile(profile)

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id, expected_version=expected_version)
            require_active_self(actor, user)
            updated = attrs.evolve(user, **changes)
            if updated == user:
                return user
            data = {"fields": ",".join(sorted(changes))}
            return self._s._save_user(
                tx,
                user,
                updated,
                EventKind.PROFILE_UPDATED,
                actor,
                data,
                security=updated.email != user.email,
            )

        return self._s._write(work)

    def set_tier(
        self,
        actor: Actor,
        user_id: str,
        tier: UserTier,
        *,
        email: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        password: str | None = None,
        birth_date: date | None = None,
    ) -> User:
        """Set a user's tier, as the operator may at any time.

        To FULL the user needs an e-mail, a name, a password and a birth date: pass what the
        user lacks. To GUEST the password is dropped. To BLANK the password and birth date
        are dropped and the user must complete the profile again. Setting the tier a user
        has changes nothing. ``tier`` is a :class:`UserTier` or its value (``"full"``).

        Raises:
            NotPermitted: ``actor`` is a user.
            InvalidValue: ``tier`` is neither a UserTier nor one of its values, or ``actor``
                is not an Actor.
            MissingField: The new tier needs data the user lacks; the message names it.
            UserNotFound, InvalidEmail, InvalidName, InvalidPassword, InvalidBirthDate,
            EmailTaken.
        """
        require_staff(actor)
        tier = as_enum(UserTier, tier, field="tier")
        changes: dict[str, Any] = {}
        if email is not None:
            changes["email"] = normalise_email(
                email, allow_special_use=self._s._ctx.allow_special_use_domains
            )
        if given_name is not None:
            changes["given_name"] = validate_name(given_name, field="given_name")
        if family_name is not None:
            changes["family_name"] = validate_name(family_name, field="family_name")
        if birth_date is not None:
            changes["birth_date"] = validate_birth_date(
                birth_date, today=self._s._ctx.clock.now().date()
            )
        # Hash before the unit of work: argon2 must not run while holding a write lock.
        password_hash = (
            None if password is None else self._s._ctx.hasher.hash(check_password(password))
        )

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            if user.tier is tier:
                return user
            updated = attrs.evolve(user, **changes)
            if tier is UserTier.FULL:
                updated = attrs.evolve(updated, tier=tier, must_complete_profile=False)
                if password_hash is not None:
                    updated = attrs.evolve(updated, password_hash=password_hash)
            elif tier is UserTier.GUEST:
                updated = attrs.evolve(
                    updated, tier=tier, password_hash=None, must_complete_profile=False
                )
            else:
                updated = attrs.evolve(
                    updated,
                    tier=tier,
                    password_hash=None,
                    birth_date=None,
                    must_complete_profile=True,
                )
            require_tier_fields(updated)
            data = {"from": user.tier.value, "to": tier.value}
            return self._s._save_user(tx, user, updated, EventKind.TIER_CHANGED, actor, data)

        return self._s._write(work)

    def disable(self, actor: Actor, user_id: str) -> User:
        """Switch a user off: they can no longer act, and their tokens die.

        Raises:
            NotPermitted: ``actor`` is a user.
            UserNotFound: No such user.
        """
        return self._set_status(actor, user_id, UserStatus.DISABLED, EventKind.USER_DISABLED)

    def enable(self, actor: Actor, user_id: str) -> User:
        """Switch a disabled (or pending) user on again.

        Raises:
            NotPermitted: ``actor`` is a user.
            UserNotFound: No such user.
        """
        return self._set_status(actor, user_id, UserStatus.ACTIVE, EventKind.USER_ENABLED)

    def _set_status(self, actor: Actor, user_id: str, status: UserStatus, kind: EventKind) -> User:
        require_staff(actor)

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            if user.status is status:
                return user
            data = {"from": user.status.value, "to": status.value}
            return self._s._save_user(
                tx, user, attrs.evolve(user, status=status), kind, actor, data
            )

        return self._s._write(work)
