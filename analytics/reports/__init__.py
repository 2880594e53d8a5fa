"""Meeting papers (issue 14): the monthly SCC pack, the termly members' summary, a DSIM's district profile.

`gather` collects each pack's tables from the store through the existing analytics functions (pure: no
Streamlit); `pdf`, `xlsx` and `html` render a gathered `Pack`. Nothing is downloaded at run time: the PDF
embeds DejaVu Sans, which ships with matplotlib, and charts are static matplotlib images.
"""

from analytics.reports.model import Figure, Pack, Section, Table, UnknownChoice

__all__ = ["Figure", "Pack", "Section", "Table", "UnknownChoice"]
