"""Text from the data or the URL shown safely: Streamlit's titles, headers, captions, metric labels and alerts
interpret Markdown (links, images) and some HTML, so such text is escaped before it reaches them."""

from __future__ import annotations

import re

#: Every character with a meaning in Streamlit's Markdown (CommonMark, GitHub extensions, LaTeX, colour and
#: emoji directives).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape(text: object) -> str:
    """`text` with every Markdown/HTML character backslash-escaped, so it shows literally."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")
