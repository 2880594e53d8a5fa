"""Districts of schools: the LA's own imported mapping, or parliamentary constituency by default.

Pure pandas: `schools` is a frame with `urn` and `constituency` (as `analytics.queries.schools` returns);
`mapping` is a frame with `urn` and `district` (as `analytics.queries.district_mapping` returns) or None.
"""

from __future__ import annotations

import pandas as pd

DEFAULT_SCHEME = "constituency"
UNMAPPED = "(not in the district mapping)"
NO_CONSTITUENCY = "(no constituency)"


def district_of(schools: pd.DataFrame, mapping: pd.DataFrame | None = None) -> pd.Series:
    """The district of each school, aligned with `schools`' index.

    Without a mapping: the parliamentary constituency. With one: the mapped district; schools the mapping
    does not list get `UNMAPPED` (never silently a constituency, which would mix two schemes).
    """
    if mapping is None:
        out = schools["constituency"].astype(object).where(schools["constituency"].notna(), NO_CONSTITUENCY)
        return out.rename("district")
    lookup = mapping.drop_duplicates("urn").set_index("urn")["district"]
    districts = lookup.reindex(schools["urn"].to_numpy()).to_numpy()
    out = pd.Series(districts, index=schools.index, name="district", dtype=object)
    return out.where(out.notna(), UNMAPPED)
