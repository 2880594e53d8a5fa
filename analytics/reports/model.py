"""What a pack holds, independent of how it is rendered: sections of text, tables and charts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


class UnknownChoice(ValueError):
    """An LA, district or term that is not in the data; the message lists close matches."""

    def __init__(self, what: str, given: str, known: list[str]):
        close = difflib.get_close_matches(given, known, n=5, cutoff=0.5)
        close += [k for k in known if given.lower() in k.lower() and k not in close]
        some = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        hint = f" Did you mean: {', '.join(close[:5])}?" if close else (f" Known: {some}." if known else "")
        super().__init__(f"Unknown {what} '{given}'.{hint}")
        self.close = close[:5]


@dataclass(frozen=True)
class Table:
    """A table as published: `frame` holds the values (headers as shown); `name` is the XLSX sheet."""

    name: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    empty: str = "None."


@dataclass(frozen=True)
class Figure:
    """A static chart: PNG bytes, a caption, and a text alternative saying what it shows."""

    png: bytes
    caption: str
    alternative: str


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Pack:
    """A gathered pack: cover facts and sections (in order)."""

    kind: str
    title: str
    la_name: str
    as_at: date
    subtitle: str = ""
    classification: str = ""
    cover_lines: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]
