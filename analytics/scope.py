"""What a caller may see: all of England, some local authorities and/or some schools.

Every read goes through a Scope: store queries apply it in SQL (`apply`), the read model applies it to
national
frames (`filter`). Frozen and hashable, so cached results are keyed on it and never cross viewers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, Table


@dataclass(frozen=True)
class Scope:
    """All of England when both are None; else only the named LAs and/or the listed URNs."""

    la_names: tuple[str, ...] | None = None
    urns: tuple[int, ...] | None = None

    @classmethod
    def england(cls) -> Scope:
        return cls()

    @classmethod
    def la(cls, name: str) -> Scope:
        return cls(la_names=(name,))

    @property
    def is_england(self) -> bool:
        return self.la_names is None and self.urns is None

    def allows_la(self, name: str) -> bool:
        return self.la_names is None or name in self.la_names

    def apply(self, query: Select, schools: Table) -> Select:
        """Restrict a query over the school table (or one joined to it) to the scope, in SQL."""
        if self.la_names is not None:
            query = query.where(schools.c.la_name.in_(self.la_names))
        if self.urns is not None:
            query = query.where(schools.c.urn.in_(self.urns))
        return query

    def filter(
        self, frame: pd.DataFrame, *, la_column: str = "la_name", urn_column: str = "urn"
    ) -> pd.DataFrame:
        """Rows of a frame of schools (or of counts by LA) inside the scope."""
        mask = pd.Series(True, index=frame.index)
        if self.la_names is not None:
            mask &= frame[la_column].isin(self.la_names)
        if self.urns is not None:
            mask &= frame[urn_column].isin(self.urns) if urn_column in frame else False
        return frame if bool(mask.all()) else frame.loc[mask]
