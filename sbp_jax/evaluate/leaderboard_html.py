"""The report's leaderboard explorer: every split in one sortable, filterable table.

The rows of all splits travel as JSON inside the page; a small inline script (no network, no
libraries) shows one split label at a time, chosen with two selects (family, then label: season,
pressure, time to throw, depth, week, game), filters by passer or team and by ranked passers, and
sorts by any column. Column headers are buttons, so they work from the keyboard, and announce their
order with `aria-sort`. The view lives in the URL fragment (`#lb?split=pressure&sort=score&dir=desc
&q=smith&ranked=1`), so a link reproduces it; the table also exposes it as `data-state`. Without
script, the season table is shown as rendered here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np

from sbp_jax.evaluate.passing_score import FAMILIES, SCORE_HIGH, SCORE_LOW
from sbp_jax.evaluate.tables import Columns, strict_json

# (column key, header, decimals or None for text/integers)
COLUMNS = (
    ("rank", "Rank", None),
    ("passer_name", "Passer", None),
    ("team", "Team", None),
    ("attempts", "Att", None),
    ("mean_percentile", "Mean pct", 3),
    ("score", "Score", 1),
    ("score_low", "Low", 1),
    ("score_high", "High", 1),
)
TEXT_KEYS = ("passer_name", "team", "split")

STYLE = """.lb-controls{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:center;margin:.5em 0}
th button{all:unset;cursor:pointer;display:block;width:100%}
th button:focus-visible{outline:2px solid #225;outline-offset:2px}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.iv{min-width:120px;position:relative;background:linear-gradient(#ddd,#ddd) center/100% 1px
no-repeat}td.iv span{position:absolute;top:40%;height:20%;background:#88a;border-radius:2px}
td.iv span.pt{top:25%;height:50%;width:3px;background:#225}"""

SCRIPT = r"""(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lb-data").textContent);
  var ix = {};
  data.columns.forEach(function (c, i) { ix[c] = i; });
  var $ = function (id) { return document.getElementById(id); };
  var family = $("lb-family"), split = $("lb-split"), query = $("lb-filter");
  var ranked = $("lb-ranked"), table = $("lb-table"), count = $("lb-count");
  var state = {split: "season", q: "", ranked: false, sort: "rank", dir: "asc"};
  var numeric = {rank: 1, attempts: 1, mean_percentile: 1, score: 1, score_low: 1, score_high: 1};

  function familyOf(label) {
    for (var f in data.families) { if (data.families[f].indexOf(label) >= 0) return f; }
    return null;
  }
  function fillSplits(f) {
    split.replaceChildren.apply(split, data.families[f].map(function (l) {
      return new Option(l, l);
    }));
  }
  function order(key, dir) {
    var i = ix[key], s = dir === "asc" ? 1 : -1;
    return function (a, b) {
      var x = a[i], y = b[i];
      if (x === null || y === null) return (x === null) - (y === null);  // empty last
      return s * (numeric[key] ? x - y : String(x).localeCompare(String(y)));
    };
  }
  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }
  function row(r) {
    var tr = document.createElement("tr");
    tr.appendChild(cell(r[ix.rank] === null ? "" : r[ix.rank]));
    var name = cell(""), a = document.createElement("a");
    a.href = "#p-" + r[ix.passer_id];
    a.textContent = r[ix.passer_name];
    name.appendChild(a);
    tr.appendChild(name);
    tr.appendChild(cell(r[ix.team]));
    tr.appendChild(cell(r[ix.attempts]));
    tr.appendChild(cell(r[ix.mean_percentile].toFixed(3)));
    tr.appendChild(cell(r[ix.score].toFixed(1)));
    tr.appendChild(cell(r[ix.score_low].toFixed(1)));
    tr.appendChild(cell(r[ix.score_high].toFixed(1)));
    var iv = cell(""), bar = document.createElement("span");
    iv.className = "iv";
    var lo = data.scale[0], span = data.scale[1] - lo;
    bar.style.left = (100 * (r[ix.score_low] - lo) / span) + "%";
    bar.style.width = Math.max(1, 100 * (r[ix.score_high] - r[ix.score_low]) / span) + "%";
    var pt = document.createElement("span");
    pt.className = "pt";
    pt.style.left = (100 * (r[ix.score] - lo) / span) + "%";
    iv.appendChild(bar);
    iv.appendChild(pt);
    tr.appendChild(iv);
    return tr;
  }
  function render() {
    var q = state.q.trim().toLowerCase();
    var rows = data.rows.filter(function (r) {
      return r[ix.split] === state.split && (!state.ranked || r[ix.rank] !== null) &&
        (!q || (r[ix.passer_name] + " " + r[ix.team]).toLowerCase().indexOf(q) >= 0);
    });
    rows.sort(order(state.sort, state.dir));
    table.tBodies[0].replaceChildren.apply(table.tBodies[0], rows.map(row));
    table.querySelectorAll("th[data-key]").forEach(function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === state.sort ?
        (state.dir === "asc" ? "ascending" : "descending") : "none");
    });
    var total = data.rows.filter(function (r) { return r[ix.split] === state.split; }).length;
    count.textContent = rows.length + " of " + total + " passers in " + state.split;
    table.setAttribute("data-state", JSON.stringify(state));
    table.setAttribute("data-rows", String(rows.length));
    var hash = "#lb?" + new URLSearchParams({split: state.split, sort: state.sort,
      dir: state.dir, q: state.q, ranked: state.ranked ? "1" : "0"}).toString();
    try { history.replaceState(null, "", hash); } catch (e) { /* file: URLs in some browsers */ }
  }
  function show() {
    var f = familyOf(state.split);
    if (f === null) { state.split = "season"; f = "season"; }
    family.value = f;
    fillSplits(f);
    split.value = state.split;
    query.value = state.q;
    ranked.checked = state.ranked;
    render();
  }
  function fromHash() {
    if (location.hash.indexOf("#lb?") !== 0) return false;
    var p = new URLSearchParams(location.hash.slice(4));
    if (p.has("split")) state.split = p.get("split");
    if (p.has("q")) state.q = p.get("q");
    if (p.has("ranked")) state.ranked = p.get("ranked") === "1";
    if (p.has("sort") && p.get("sort") in ix) state.sort = p.get("sort");
    if (p.has("dir")) state.dir = p.get("dir") === "desc" ? "desc" : "asc";
    return true;
  }
  family.addEventListener("change", function () {
    fillSplits(family.value);
    state.split = split.value;
    render();
  });
  split.addEventListener("change", function () { state.split = split.value; render(); });
  query.addEventListener("input", function () { state.q = query.value; render(); });
  ranked.addEventListener("change", function () { state.ranked = ranked.checked; render(); });
  table.querySelectorAll("th[data-key] button").forEach(function (b) {
    b.addEventListener("click", function () {
      var key = b.parentNode.getAttribute("data-key");
      if (key === state.sort) {
        state.dir = state.dir === "asc" ? "desc" : "asc";
      } else {
        state.sort = key;
        state.dir = numeric[key] && key !== "rank" ? "desc" : "asc";
      }
      render();
    });
  });
  window.addEventListener("hashchange", function () { if (fromHash()) show(); });
  family.replaceChildren.apply(family, Object.keys(data.families).map(function (f) {
    return new Option(f.replace(/_/g, " "), f);
  }));
  fromHash();
  show();
})();"""


def board_data(board: Columns) -> dict:
    """The leaderboard as compact JSON-ready rows, its split labels by family and the scale."""
    keys = ("split", "passer_id", *(k for k, _, _ in COLUMNS))
    digits = {k: d for k, _, d in COLUMNS if d is not None}
    cols = []
    for k in keys:
        values = np.asarray(board[k])
        if k in digits:
            values = np.round(values.astype(np.float64), digits[k])
        cols.append(values.tolist() if values.dtype != object else [str(v) for v in values])
    rank = cols[keys.index("rank")]
    cols[keys.index("rank")] = [r if r > 0 else None for r in rank]
    split = np.asarray(board["split"]).astype(str)
    family = np.asarray(board["family"]).astype(str)
    families = {
        f: list(dict.fromkeys(split[family == f].tolist())) for f in FAMILIES if (family == f).any()
    }
    return {
        "columns": list(keys),
        "rows": [list(r) for r in zip(*cols, strict=True)],
        "families": families,
        "scale": [SCORE_LOW, SCORE_HIGH],
    }


def script_json(obj) -> str:
    """Strict JSON safe inside a <script> element (no `<`, `>` or `&` characters)."""
    text = strict_json(obj, indent=None)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _static_rows(data: Mapping) -> str:
    """The season rows as HTML, for readers without script."""
    ix = {c: i for i, c in enumerate(data["columns"])}
    out = []
    for r in data["rows"]:
        if r[ix["split"]] != "season":
            continue
        cells = [
            "" if r[ix[k]] is None else (f"{r[ix[k]]:.{d}f}" if d is not None else str(r[ix[k]]))
            for k, _, d in COLUMNS
        ]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "<td></td></tr>")
    return "".join(out)


def leaderboard_explorer(board: Columns, interval: float) -> str:
    """The explorer's HTML: controls, table, data and script."""
    data = board_data(board)
    heads = "".join(
        f"<th scope='col' data-key='{k}' aria-sort='none'><button type='button'>"
        f"{html.escape(h)}</button></th>"
        for k, h, _ in COLUMNS
    )
    return (
        "<div class='lb-controls' role='group' aria-label='Leaderboard view'>"
        "<label>Split family <select id='lb-family'></select></label>"
        "<label>Split <select id='lb-split'></select></label>"
        "<label>Passer or team <input id='lb-filter' type='search'></label>"
        "<label><input id='lb-ranked' type='checkbox'> ranked passers only</label>"
        "<span id='lb-count' aria-live='polite'></span></div>"
        f"<table id='lb-table'><caption>Score with its {interval:.0%} bootstrap interval "
        f"(Low, High); rank among passers with enough attempts</caption><thead><tr>{heads}"
        f"<th scope='col'>Interval</th></tr></thead><tbody>{_static_rows(data)}</tbody></table>"
        f"<script type='application/json' id='lb-data'>{script_json(data)}</script>"
        f"<script>{SCRIPT}</script>"
    )
