"""Local-authority names: Ofsted's spelling (school.la_name) against DfE LAIT's (local_authority.name).

Ofsted and LAIT spell six current LAs differently; the explicit table below maps Ofsted's name to LAIT's.
Every other name is the same in both.
"""

from __future__ import annotations

import pandas as pd

OFSTED_TO_LAIT: dict[str, str] = {
    "Bedford": "Bedford Borough",
    "Bournemouth, Christchurch & Poole": "Bournemouth, Christchurch and Poole",
    "Bristol": "Bristol, City of",
    "Kingston upon Hull": "Kingston Upon Hull, City of",
    "Southend on Sea": "Southend-on-Sea",
    "St Helens": "St. Helens",
}
LAIT_TO_OFSTED: dict[str, str] = {lait: ofsted for ofsted, lait in OFSTED_TO_LAIT.items()}


def lait_name(name: str) -> str:
    """The LAIT spelling of an LA name given in Ofsted's (or already LAIT's) spelling."""
    return OFSTED_TO_LAIT.get(name, name)


def ofsted_names(lait_names: pd.Series, known: list[str] | set[str]) -> pd.Series:
    """Ofsted spelling of each LAIT name where that LA has schools in the Ofsted data (`known`), else None."""
    mapped = lait_names.map(lambda n: LAIT_TO_OFSTED.get(n, n))
    return mapped.where(mapped.isin(set(known)), None)


def default_la(names: list[str]) -> str | None:
    """The LA shown first: the configured DEFAULT_LA when it is one of `names`, else the first
    alphabetically."""
    from analytics.config import get_settings

    configured = get_settings().default_la
    return configured if configured in names else (sorted(names)[0] if names else None)
