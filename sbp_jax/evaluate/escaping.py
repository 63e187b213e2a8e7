"""Text from the data (passer names, teams, workdir names) made inert for each output format.

A name is data, never markup: a CSV cell a spreadsheet would run as a formula, a Markdown cell that
breaks its table or carries HTML, a plot label that matplotlib would parse as mathtext (and fail on
after all the scoring was done). HTML uses `html.escape` directly.
"""

from __future__ import annotations

import html
import re

# Leading characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def csv_cell(text: str) -> str:
    """`text` for a CSV cell: a formula-like cell gets a leading apostrophe (shown, not run);
    numbers, negative ones included, stay numbers."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def markdown_cell(text: str) -> str:
    """`text` for a Markdown table cell: HTML escaped, pipes escaped, line breaks as spaces."""
    text = html.escape(text, quote=False).replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"[\r\n]+", " ", text)


def terminal_text(text: str) -> str:
    """`text` for a terminal line: control characters (escape sequences, line breaks) shown as
    `?`, so a name cannot move the cursor, recolour or forge lines of the summary."""
    return _CONTROL.sub("?", text)


def plot_text(text: str) -> str:
    """`text` for a matplotlib label: every `$` escaped, so it is never mathtext."""
    return text.replace("$", r"\$")
