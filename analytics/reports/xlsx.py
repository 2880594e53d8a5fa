"""The pack's tables as one XLSX workbook: a contents sheet, then one sheet per table. Values only: text is
never turned into a formula, hyperlink or number, and text a spreadsheet would run is made plain."""

from __future__ import annotations

import io
import re

import pandas as pd

from analytics.reports.model import Pack

#: A spreadsheet treats a cell starting with one of these as a formula (or DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def sheet_names(pack: Pack) -> list[str]:
    """Unique sheet names (31 characters, no []:*?/\\) in table order."""
    names: list[str] = []
    for table in pack.tables():
        base = re.sub(r"[\[\]:*?/\\]", " ", table.name)[:28] or "table"
        name, number = base, 2
        while name.lower() in {n.lower() for n in names} or name.lower() == "contents":
            name, number = f"{base} {number}", number + 1
        names.append(name)
    return names


def render_xlsx(pack: Pack) -> bytes:
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    names = sheet_names(pack)
    contents = pd.DataFrame(
        {
            "Sheet": names,
            "Table": [t.title for t in pack.tables()],
            "Rows": [len(t.frame) for t in pack.tables()],
        }
    )
    cover = pd.DataFrame({"Sheet": [pack.classification or "", pack.title, pack.subtitle, *pack.cover_lines]})
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": options},
        date_format="dd/mm/yyyy",
        datetime_format="dd/mm/yyyy",
    ) as writer:
        start = len(cover) + 1
        cover.map(plain).to_excel(writer, sheet_name="Contents", index=False, header=False)
        contents.map(plain).to_excel(writer, sheet_name="Contents", index=False, startrow=start)
        for name, table in zip(names, pack.tables(), strict=True):
            frame = table.frame.copy()
            frame.columns = [str(plain(str(c))) for c in frame.columns]
            frame.astype(object).map(plain).to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].set_column(0, max(0, len(frame.columns) - 1), 16)
    return buffer.getvalue()
