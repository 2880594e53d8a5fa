"""School lineage: predecessors, successors and the current URN of any past URN (the one home for it).

Two sources: GIAS establishment links (`edges`, `predecessors`, `successors`, `current_urn_map`) and Ofsted's
own "URN at the time of the latest/previous graded inspection" pointers (`pointer_map`); `lineage_map`
combines them for today's open schools.

Pure pandas over the frame from `analytics.queries.school_links`
(urn, link_urn, link_type, link_name, link_date).

A GIAS row says "link_urn is the <link_type> of urn". Only directional types make lineage edges:
'Predecessor...' (link_urn came before urn) and 'Successor...' (link_urn came after urn), with their
suffixes (' - merged', ' - amalgamated', ' - Split School'). Undirected types (Result of Amalgamation,
Other, Expansion, Closure, Merged - ..., Sixth Form Centre ...) are left out. GIAS usually lists each link
from both ends; the two rows become one edge, dated by the later of the two dates (the successor's opening;
the other end records the predecessor's closing the day before). A few links are recorded as successor from
both ends (A -> B and B -> A): every walk here is cycle-safe.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

EDGE_COLUMNS = ["pred", "succ", "pred_type", "succ_type", "link_date"]
CHAIN_COLUMNS = ["urn", "name", "link_type", "link_date", "generation", "via_urn"]


def edges(links: pd.DataFrame) -> pd.DataFrame:
    """One row per directed link predecessor -> successor, with the link type as seen from each end."""
    kind = links["link_type"].astype(str)
    pred_rows = links.loc[kind.str.startswith("Predecessor")]
    succ_rows = links.loc[kind.str.startswith("Successor")]
    from_pred = pd.DataFrame({
        "pred": pred_rows["link_urn"].to_numpy(), "succ": pred_rows["urn"].to_numpy(),
        "pred_type": pred_rows["link_type"].to_numpy(),
        "succ_type": pred_rows["link_type"].str.replace("Predecessor", "Successor", n=1).to_numpy(),
        "link_date": pred_rows["link_date"].to_numpy(),
    })
    from_succ = pd.DataFrame({
        "pred": succ_rows["urn"].to_numpy(), "succ": succ_rows["link_urn"].to_numpy(),
        "pred_type": succ_rows["link_type"].str.replace("Successor", "Predecessor", n=1).to_numpy(),
        "succ_type": succ_rows["link_type"].to_numpy(),
        "link_date": succ_rows["link_date"].to_numpy(),
    })
    both = pd.concat([from_pred, from_succ], ignore_index=True)
    both["pred"] = both["pred"].astype("int64")
    both["succ"] = both["succ"].astype("int64")
    both["link_date"] = pd.to_datetime(both["link_date"])
    both = both.loc[both["pred"] != both["succ"]]
    grouped = both.groupby(["pred", "succ"], sort=True)
    out = grouped[["pred_type", "succ_type"]].first()
    out["link_date"] = grouped["link_date"].max()
    return out.reset_index()[EDGE_COLUMNS]


def school_names(links: pd.DataFrame) -> pd.Series:
    """Name of each linked URN as GIAS gives it in the rows that point at it."""
    named = links.dropna(subset=["link_name"]).drop_duplicates("link_urn", keep="last")
    return pd.Series(named["link_name"].to_numpy(), index=named["link_urn"].astype("int64").to_numpy())


def predecessors(links: pd.DataFrame, urn: int) -> pd.DataFrame:
    """Every school the given URN descends from, generation 1 = immediate predecessors."""
    return _walk(links, urn, backwards=True)


def successors(links: pd.DataFrame, urn: int) -> pd.DataFrame:
    """Every school that followed the given URN, generation 1 = immediate successors."""
    return _walk(links, urn, backwards=False)


def _walk(links: pd.DataFrame, urn: int, *, backwards: bool) -> pd.DataFrame:
    edge = edges(links)
    here, there, kind = ("succ", "pred", "pred_type") if backwards else ("pred", "succ", "succ_type")
    names = school_names(links)
    seen = {int(urn)}
    frontier = {int(urn)}
    parts = []
    generation = 0
    while frontier:
        generation += 1
        step = edge.loc[edge[here].isin(frontier) & ~edge[there].isin(seen)]
        step = step.sort_values([there, "link_date"]).drop_duplicates(there, keep="first")
        if step.empty:
            break
        parts.append(pd.DataFrame({
            "urn": step[there].to_numpy(), "name": names.reindex(step[there]).to_numpy(),
            "link_type": step[kind].to_numpy(), "link_date": step["link_date"].dt.date.to_numpy(),
            "generation": generation, "via_urn": step[here].to_numpy(),
        }))
        frontier = set(step[there].tolist())
        seen |= frontier
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("urn", "generation", "via_urn") else object)
                             for c in CHAIN_COLUMNS})
    return pd.concat(parts, ignore_index=True)[CHAIN_COLUMNS]


def current_urn_map(links: pd.DataFrame) -> pd.Series:
    """Map every URN that has a successor to the latest URN reachable from it (its current form).

    Where a school has several successors (a split), the one with the latest link date is followed (ties:
    the highest URN). A set of schools that are each other's successors (a cycle) maps to its highest URN,
    which GIAS allocated last. URNs without successors are not in the index (they map to themselves).
    Vectorised by pointer doubling: log2(n) self-compositions of the one-step successor map.
    """
    edge = edges(links)
    if edge.empty:
        return pd.Series(dtype="int64", name="current_urn").rename_axis("urn")
    chosen = edge.sort_values(["pred", "link_date", "succ"], na_position="first")
    chosen = chosen.drop_duplicates("pred", keep="last")
    nodes = np.union1d(chosen["pred"].to_numpy(), chosen["succ"].to_numpy())
    step = pd.Series(nodes, index=nodes)
    step.loc[chosen["pred"].to_numpy()] = chosen["succ"].to_numpy()
    jump = step.copy()
    for _ in range(math.ceil(math.log2(len(nodes))) + 1):
        jump = pd.Series(jump.reindex(jump.to_numpy()).to_numpy(), index=jump.index)
    ends = jump.to_numpy()
    on_cycle = np.unique(ends[step.reindex(ends).to_numpy() != ends])
    if on_cycle.size:
        # Walk each cycle once around, keeping the highest URN seen.
        best = pd.Series(on_cycle, index=on_cycle)
        cursor = step.reindex(on_cycle).to_numpy()
        for _ in range(on_cycle.size):
            best = pd.Series(np.maximum(best.to_numpy(), cursor), index=on_cycle)
            cursor = step.reindex(cursor).to_numpy()
        ends = np.where(np.isin(ends, on_cycle), best.reindex(ends).to_numpy(), ends)
    result = pd.Series(ends.astype("int64"), index=pd.Index(nodes, name="urn"), name="current_urn")
    return result.loc[result.index != result.to_numpy()]


def gias_links(school_links: pd.DataFrame) -> pd.DataFrame:
    """GIAS predecessor chains (`queries.school_links` rows) as a frame (urn, current_urn)."""
    if school_links.empty:
        return pd.DataFrame({"urn": pd.Series(dtype="int64"), "current_urn": pd.Series(dtype="int64")})
    return current_urn_map(school_links).rename("current_urn").rename_axis("urn").reset_index()


POINTER_COLUMNS = ("latest_graded_number", "previous_graded_number", "latest_ungraded_number")


def pointer_map(schools: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Predecessor URN -> current URN from Ofsted's latest/previous graded (and ungraded) inspection pointers:
    an inspection a school's row points at but recorded under another URN belongs to its predecessor."""
    by_number = inspections.dropna(subset=["inspection_number"]).set_index("inspection_number")["urn"]
    parts = []
    for column in POINTER_COLUMNS:
        if column not in schools:
            continue
        pointed = schools[["urn", column]].dropna()
        old = by_number.reindex(pointed[column].to_numpy()).to_numpy()
        parts.append(pd.DataFrame({"urn": old, "current_urn": pointed["urn"].to_numpy()}))
    if not parts:
        return pd.DataFrame({"urn": pd.Series(dtype="int64"), "current_urn": pd.Series(dtype="int64")})
    links = pd.concat(parts, ignore_index=True).dropna()
    links = links[links["urn"] != links["current_urn"]].astype("int64")
    return links.drop_duplicates(subset=["urn"], keep="first").reset_index(drop=True)


def lineage_map(
    schools: pd.DataFrame, inspections: pd.DataFrame, links: pd.DataFrame | None = None
) -> pd.Series:
    """Series urn -> current (open) URN for every URN that belongs to one of `schools` (itself included).

    Ofsted's pointers come first; `links` (columns urn, current_urn, from `gias_links`) adds GIAS chains.
    """
    frames = [
        pd.DataFrame({"urn": schools["urn"], "current_urn": schools["urn"]}),
        pointer_map(schools, inspections),
    ]
    if links is not None and not links.empty:
        frames.append(links[["urn", "current_urn"]])
    mapping = pd.concat(frames, ignore_index=True).astype("int64")
    mapping = mapping[mapping["current_urn"].isin(schools["urn"])]
    mapping = mapping.drop_duplicates(subset=["urn"], keep="first")
    return mapping.set_index("urn")["current_urn"]


def ancestors(links: pd.DataFrame, urns: pd.Series | list[int]) -> pd.DataFrame:
    """Every GIAS predecessor (all generations) of each URN: frame (school_urn, urn), the URN itself included.

    The same set `predecessors` walks for one school, for many at once (one join per generation; cycle-safe).
    """
    start = pd.Series(urns, dtype="int64").drop_duplicates()
    found = pd.DataFrame({"school_urn": start.to_numpy(), "urn": start.to_numpy()})
    if links.empty:
        return found
    edge = edges(links)[["pred", "succ"]]
    frontier = found
    while not frontier.empty:
        step = frontier.merge(edge, left_on="urn", right_on="succ")[["school_urn", "pred"]]
        step = step.rename(columns={"pred": "urn"}).drop_duplicates()
        known = found.merge(step, on=["school_urn", "urn"], how="right", indicator=True)
        frontier = known.loc[known["_merge"] == "right_only", ["school_urn", "urn"]]
        found = pd.concat([found, frontier], ignore_index=True)
    return found.reset_index(drop=True)


def lineage_members(schools: pd.DataFrame, inspections: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The URNs whose inspections belong to each school's record: itself, its GIAS predecessors and the URNs
    of the inspections Ofsted's pointers name. Frame (school_urn, urn), one row per pair."""
    members = ancestors(links, schools["urn"])
    by_number = inspections.dropna(subset=["inspection_number"]).set_index("inspection_number")["urn"]
    parts = [members]
    for column in POINTER_COLUMNS:
        if column in schools:
            pointed = schools[["urn", column]].dropna()
            owner = by_number.reindex(pointed[column].to_numpy()).to_numpy()
            parts.append(pd.DataFrame({"school_urn": pointed["urn"].to_numpy(), "urn": owner}).dropna())
    out = pd.concat(parts, ignore_index=True).astype("int64").drop_duplicates()
    return out.sort_values(["school_urn", "urn"]).reset_index(drop=True)
