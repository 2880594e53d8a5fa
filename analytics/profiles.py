"""Loading one school's profile from the store (`school_profile.build_profile` does the assembling).

The national frames (headlines, directory, links, LA context sums) come from the read model
(`analytics.derived`); callers that already hold them (the pages' caches) pass them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analytics import derived, lineage, queries
from analytics import school_profile as sp
from analytics.store import data_version


@dataclass(frozen=True)
class NationalFrames:
    headlines: pd.DataFrame
    directory: pd.DataFrame
    links: pd.DataFrame
    context_sums: pd.DataFrame
    due: pd.DataFrame

    @classmethod
    def load(cls, engine: Engine, version: int | None = None) -> NationalFrames:
        version = data_version(engine) if version is None else version
        return cls(
            headlines=derived.load(engine, "headlines", version),
            directory=derived.load(engine, "directory", version),
            links=derived.load(engine, "links", version),
            context_sums=derived.load(engine, "context_sums", version),
            due=derived.load(engine, "due", version),
        )


def school_record(frames: NationalFrames, urn: int, engine: Engine) -> pd.Series | None:
    """The school's row: its headline row when open, else its stored record (closed predecessors)."""
    open_rows = frames.headlines.loc[frames.headlines["urn"] == urn]
    if not open_rows.empty:
        return open_rows.iloc[0]
    if not (frames.directory["urn"] == urn).any():
        return None
    found = queries.schools(engine, queries.Scope(urns=(int(urn),)), open_only=False)
    return found.iloc[0] if not found.empty else None


def load_profile(engine: Engine, urn: int, frames: NationalFrames | None = None) -> sp.SchoolProfile | None:
    """The school's profile, or None when no school has that URN."""
    frames = frames or NationalFrames.load(engine)
    record = school_record(frames, int(urn), engine)
    if record is None:
        return None
    one = record.to_frame().T
    if "latest_graded_number" not in one:
        one = one.assign(latest_graded_number=None, previous_graded_number=None, latest_ungraded_number=None)
    named = queries.inspections_by_number(
        engine, [str(n) for n in one[list(lineage.POINTER_COLUMNS)].iloc[0].dropna()]
    )
    members = lineage.lineage_members(one.astype({"urn": "int64"}), named, frames.links)
    urns = sorted(int(u) for u in members["urn"])
    inspections = queries.inspections(engine, urns)
    context = queries.context_values(engine, urns, sp.BENCHMARK_INPUTS)
    phase = record.get("phase") if isinstance(record.get("phase"), str) else None
    return sp.build_profile(
        record,
        links=frames.links,
        inspections=inspections,
        directory=frames.directory,
        context=context,
        benchmark_rows=sp.benchmarks(frames.context_sums, phase),
        due=frames.due,
    )
