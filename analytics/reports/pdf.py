"""A pack as an A4 PDF (reportlab): cover, contents, numbered pages, wrapped tables whose header row repeats
on every page, charts with captions and text alternatives. Fonts are embedded: DejaVu Sans, which ships with
matplotlib, is registered with reportlab (nothing is downloaded)."""

from __future__ import annotations

import io
import numbers
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)

from analytics.reports.model import Figure, Pack, Table

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN = 2 * cm
WIDTH = A4[0] - 2 * MARGIN


def register_fonts() -> None:
    """DejaVu Sans (regular and bold) from matplotlib's own font folder, registered once."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=22, leading=28, spaceAfter=12),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=14, leading=18, spaceAfter=18),
        "marking": ParagraphStyle(
            "marking",
            parent=body,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            textColor=colors.HexColor("#B00020"),
            spaceAfter=18,
        ),
        "h1": ParagraphStyle(
            "h1", parent=body, fontName=BOLD, fontSize=15, leading=19, spaceBefore=6, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=7, leading=8.5),
        "caption": ParagraphStyle(
            "caption", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")
        ),
        "toc": ParagraphStyle("toc", parent=body, fontSize=10.5, leading=16),
    }


def text(value: object) -> str:
    """Plain text for a Paragraph: data are never markup (reportlab parses '<', '&')."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


class Heading(Paragraph):
    """A heading that is listed in the contents and bookmarked in the PDF outline."""

    def __init__(self, words: str, style: ParagraphStyle, level: int, number: int):
        super().__init__(text(words), style)
        self.level = level
        self.words = words
        self.number = number


def form_name(number: int) -> str:
    return f"contents-page-{number}"


class PageNumberSlot(Flowable):
    """The contents' page number of a section: a PDF form drawn here and defined later, when the section's
    heading is placed (so one layout pass is enough; the contents sit on the cover page either way)."""

    def __init__(self, number: int, size: float):
        super().__init__()
        self.number, self.size = number, size
        self.width, self.height = 1.2 * cm, size * 1.2

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.translate(0, 0.5 * self.size)  # on the title's baseline
        self.canv.doForm(form_name(self.number))
        self.canv.restoreState()


def contents(pack: Pack, st: dict[str, ParagraphStyle]) -> Flowable:
    rows = [
        [Paragraph(text(f"{n}. {s.title}"), st["toc"]), PageNumberSlot(n, st["toc"].fontSize)]
        for n, s in enumerate(pack.sections, start=1)
    ]
    grid = LongTable(rows, colWidths=[WIDTH - 1.5 * cm, 1.5 * cm])
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return grid


class PackDocument(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, pack: Pack):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=f"{pack.title}: {pack.subtitle}",
            author=pack.la_name,
            subject=pack.title,
            creator="school-oversight",
            lang="en-GB",
            initialFontName=FONT,
            initialFontSize=9,
        )
        self.pack = pack
        frame = Frame(MARGIN, MARGIN, WIDTH, A4[1] - 2 * MARGIN, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self.decorate)])

    def decorate(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(MARGIN, MARGIN / 2, f"{self.pack.title}: {self.pack.subtitle}"[:110])
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, f"Page {doc.page}")
        if self.pack.classification:
            canvas.setFont(BOLD, 9)
            canvas.drawCentredString(A4[0] / 2, A4[1] - MARGIN / 2, self.pack.classification)
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.words, key, level=flowable.level)
            self.canv.beginForm(form_name(flowable.number))
            self.canv.setFont(FONT, 10.5)
            self.canv.drawRightString(1.2 * cm, 0, str(self.page))
            self.canv.endForm()


def column_widths(frame: pd.DataFrame, font_size: float = 7.0) -> list[float]:
    """Each column at least as wide as its longest word (so words never break), the rest of the page shared by
    each column's longest text (capped); shrunk in proportion when even the words do not fit."""
    char = font_size * 0.62  # DejaVu Sans average advance, points per character
    padding = 8.0
    least, wanted = [], []
    for column in frame.columns:
        cells = [str(column), *(cell_text(v) for v in frame[column].head(300))]
        word = max((len(w) for c in cells[1:] for w in c.split()), default=1)
        head = max((len(w) for w in str(column).split()), default=1) * 1.15  # bold
        least.append(min(max(word, head), 18) * char + padding)
        wanted.append(min(max(len(c) for c in cells), 120) * char + padding)
    if sum(least) >= WIDTH:
        return [WIDTH * w / sum(least) for w in least]
    spare = WIDTH - sum(least)
    extra = [max(0.0, w - m) for w, m in zip(wanted, least, strict=True)]
    if sum(extra) <= spare:
        return [w + (spare - sum(extra)) / len(wanted) for w in wanted]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def fitted(value: str, width: float, style: ParagraphStyle) -> str | Paragraph:
    """A cell: plain text when it fits on one line (cheap to lay out), else a Paragraph that wraps."""
    if pdfmetrics.stringWidth(value, FONT, style.fontSize) <= width - 7 and "\n" not in value:
        return value
    return Paragraph(text(value), style)


def table_flowables(table: Table, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(text(table.title), st["h2"])]
    if table.frame.empty:
        return [*out, Paragraph(text(table.empty), st["body"])]
    widths = column_widths(table.frame)
    header = [Paragraph(text(c), st["head"]) for c in table.frame.columns]
    body = [
        [fitted(cell_text(v), width, st["cell"]) for v, width in zip(row, widths, strict=True)]
        for row in table.frame.itertuples(index=False)
    ]
    grid = LongTable([header, *body], colWidths=widths, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("LEADING", (0, 0), (-1, -1), 8.5),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE7F0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    out.append(grid)
    if table.note:
        out.append(Paragraph(text(table.note), st["caption"]))
    return out


def figure_flowables(figure: Figure, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    image = Image(io.BytesIO(figure.png))
    scale = min(1.0, WIDTH / image.imageWidth, (A4[1] * 0.45) / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return [
        KeepTogether(
            [
                Spacer(1, 4),
                image,
                Paragraph(text(figure.caption), st["caption"]),
                Paragraph("Text alternative: " + text(figure.alternative), st["caption"]),
                Spacer(1, 6),
            ]
        )
    ]


def story(pack: Pack, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    flow: list[Flowable] = []
    if pack.classification:
        flow.append(Paragraph(text(pack.classification), st["marking"]))
    flow += [Paragraph(text(pack.title), st["title"]), Paragraph(text(pack.subtitle), st["subtitle"])]
    flow += [Paragraph(text(line), st["body"]) for line in pack.cover_lines]
    flow += [Spacer(1, 24), Paragraph("Contents", st["h1"])]
    flow += [contents(pack, st), PageBreak()]
    for number, section in enumerate(pack.sections, start=1):
        flow.append(Heading(f"{number}. {section.title}", st["h1"], 0, number))
        flow += [Paragraph(text(p), st["body"]) for p in section.paragraphs]
        for figure in section.figures:
            flow += figure_flowables(figure, st)
        for table in section.tables:
            flow += table_flowables(table, st)
        flow.append(Spacer(1, 10))
    return flow


def render_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes (one layout pass: the contents' page numbers are forms defined as the headings
    are placed)."""
    register_fonts()
    buffer = io.BytesIO()
    document = PackDocument(buffer, pack)
    document.build(story(pack, styles()))
    return buffer.getvalue()
