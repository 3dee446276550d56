"""A local authority's perimeter (« périmètre de labellisation des collectivités territoriales », §1.4.2).

A commune, EPCI, département or région presents a « socle » — general reception on every channel,
plus everyday procedures (communes) or at least one domain of its own list — and may add optional
domains. A site whose missions fall outside the declared perimeter is never sampled (§3.3, note).

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from .fields import ShortText
from .limits import MAX_ITEMS
from .rules.models import RuleSet


class AuthorityPerimeter(BaseModel):
    """What a local authority declares: its kind and the domains of its perimeter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: ShortText = Field(description="commune, epci, departement, region or special-status (perimeters.yaml).")
    domains: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)


def perimeter_problems(rules: RuleSet, perimeter: AuthorityPerimeter, site_domains: dict[str, list[str]], at: date) -> list[str]:
    """Why a declared perimeter is refused; empty when it holds."""
    if rules.perimeters is None:
        return ["these rules define no perimeters for local authorities"]
    kinds = {k.id: k for k in rules.perimeters.authority_types.at(at)}
    known = {d.id: d.label for d in rules.perimeters.domains.at(at)}
    kind = kinds.get(perimeter.type)
    if kind is None:
        return [f"authority.type: unknown kind {perimeter.type!r}; the kinds are {', '.join(kinds)}"]
    problems = []
    unknown = [d for d in perimeter.domains if d not in known]
    if unknown:
        problems.append(f"authority.domains: unknown domain(s) {', '.join(unknown)}")
    declared = set(perimeter.domains)
    missing = [d for d in kind.socle_all if d not in declared]
    if missing:
        problems.append(f"authority.domains: the socle of a {kind.label.lower()} includes {', '.join(f'{d} ({known.get(d, d)})' for d in missing)} (§1.4.2)")
    if kind.socle_one_of and not declared & set(kind.socle_one_of):
        problems.append(f"authority.domains: the socle of a {kind.label.lower()} includes at least one of: "
                        f"{', '.join(kind.socle_one_of)} (§1.4.2)")
    if kind.agreed_domain and not declared - set(kind.socle_all):
        problems.append("authority.domains: a special-status authority presents at least one domain agreed with the body besides the socle (§1.4.2)")
    allowed = set(kind.socle_all) | set(kind.socle_one_of) | set(kind.optional)
    outside = [d for d in perimeter.domains if d in known and d not in allowed]
    if outside:
        problems.append(f"authority.domains: {', '.join(outside)} is not a domain a {kind.label.lower()} can present")
    for site, domains in site_domains.items():
        bad = [d for d in domains if d not in known]
        if bad:
            problems.append(f"sites.{site}.domains: unknown domain(s) {', '.join(bad)}")
    if site_domains and not any(declared & set(domains) for domains in site_domains.values()):
        problems.append("sites: no site carries a domain of the perimeter")
    return problems


def in_perimeter(perimeter: AuthorityPerimeter | None, site_domains: list[str]) -> bool:
    """Every site is in a non-authority's perimeter (§1.4.2); an authority's site, when one of its domains is."""
    return perimeter is None or bool(set(perimeter.domains) & set(site_domains))
