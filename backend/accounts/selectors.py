"""Reads about who may do what: the roles a user holds and the municipalities they serve."""

from collections.abc import Iterable
from dataclasses import dataclass

from .models import RoleAssignment, User
from .roles import Role


@dataclass(frozen=True)
class Grants:
    """The roles of one user, read once per request."""

    roles: frozenset[str]
    municipalities_by_role: dict[str, frozenset[str]]

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def municipalities(self, roles: Iterable[str] | None = None) -> frozenset[str]:
        """CBS codes of the municipalities the user serves in any of `roles` (all roles if None)."""
        wanted = self.roles if roles is None else set(roles)
        codes: set[str] = set()
        for role in wanted:
            codes |= self.municipalities_by_role.get(role, frozenset())
        return frozenset(codes)


NO_GRANTS = Grants(roles=frozenset(), municipalities_by_role={})


def grants_for(user: User) -> Grants:
    """The user's roles; cached on the user object so a request asks the database once."""
    if not user or not user.is_authenticated or not user.is_active:
        return NO_GRANTS
    cached = getattr(user, "_grants_cache", None)
    if cached is None:
        by_role: dict[str, set[str]] = {}
        for role, code in RoleAssignment.objects.filter(user=user).values_list(
            "role", "municipality_code"
        ):
            codes = by_role.setdefault(role, set())
            if code:
                codes.add(code)
        cached = Grants(
            roles=frozenset(by_role),
            municipalities_by_role={role: frozenset(c) for role, c in by_role.items()},
        )
        user._grants_cache = cached
    return cached


def administered_municipalities(user: User) -> frozenset[str]:
    return grants_for(user).municipalities([Role.MUNICIPAL_ADMIN])


def role_assignments_visible_to(user: User):
    """The assignments a municipal administrator manages: those in their municipalities."""
    return (
        RoleAssignment.objects.filter(municipality_code__in=administered_municipalities(user))
        .select_related("user", "granted_by")
        .order_by("id")
    )
