"""A pack as one accessible HTML page: semantic landmarks and headings, a contents list, tables with captions
and column headers, charts as images with alternative text. Every value from the data is escaped."""

from __future__ import annotations

import base64
from html import escape

from analytics.reports.model import Pack, Table
from analytics.reports.pdf import cell_text

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.5; color: #0b0c0c; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 2rem; } h2 { font-size: 1.5rem; margin-top: 2.5rem; } h3 { font-size: 1.15rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #6f777b; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #dde7f0; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.95rem; }
a { color: #1d4f91; } a:focus { outline: 3px solid #fd0; }
.cover p { margin: 0.2rem 0; }
"""


def _id(number: int) -> str:
    return f"section-{number}"


def table_html(table: Table) -> str:
    if table.frame.empty:
        return f"<h3>{escape(table.title)}</h3>\n<p>{escape(table.empty)}</p>"
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in table.frame.columns)
    rows = []
    for row in table.frame.itertuples(index=False):
        cells = [escape(cell_text(v)) for v in row]
        rows.append(
            f'<tr><th scope="row">{cells[0]}</th>' + "".join(f"<td>{c}</td>" for c in cells[1:]) + "</tr>"
        )
    note = f"<p>{escape(table.note)}</p>" if table.note else ""
    return (
        f"<table>\n<caption>{escape(table.title)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + f"\n</tbody>\n</table>{note}"
    )


def render_html(pack: Pack) -> str:
    contents = "".join(
        f'<li><a href="#{_id(n)}">{escape(s.title)}</a></li>' for n, s in enumerate(pack.sections, start=1)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(pack.title)}: {escape(pack.subtitle)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header class="cover"><h1>{escape(pack.title)}</h1><p><strong>{escape(pack.subtitle)}</strong></p>',
        *(f"<p>{escape(line)}</p>" for line in pack.cover_lines),
        "</header>",
        f'<nav aria-label="Contents"><h2>Contents</h2><ol>{contents}</ol></nav>',
    ]
    for number, section in enumerate(pack.sections, start=1):
        parts.append(
            f'<section aria-labelledby="{_id(number)}"><h2 id="{_id(number)}">{escape(section.title)}</h2>'
        )
        parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
        for figure in section.figures:
            data = base64.b64encode(figure.png).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.alternative)}">'
                f"<figcaption>{escape(figure.caption)}</figcaption></figure>"
            )
        parts += [table_html(t) for t in section.tables]
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
