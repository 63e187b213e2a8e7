"""The report worth sending: one self-contained page with sortable, filterable leaderboards of every
split and per-passer histograms; strict JSON; Parquet beside the CSVs; the run manifest; output
text neutralized for each format; and the page driven in a real headless browser."""

import csv
import hashlib
import html
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jax
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from sbp_jax.config import to_dict
from sbp_jax.data import PlayStore
from sbp_jax.evaluate import passing_score, report
from sbp_jax.evaluate.escaping import csv_cell, markdown_cell, terminal_text
from sbp_jax.evaluate.figures import FILES
from sbp_jax.evaluate.passer_histograms import percentile_counts
from sbp_jax.evaluate.tables import strict_json
from sbp_jax.model.trained import load_trained, store_fingerprint

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = ROOT / "docs" / "report_screenshot.png"


def _refuse(constant):
    raise ValueError(f"non-standard JSON constant {constant}")


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_json_is_strict_non_finite_numbers_are_null():
    obj = {
        "a": float("nan"),
        "b": [np.float32("inf"), 1.5, -np.inf],
        "c": np.array([np.nan, 2.0]),
        "d": (np.int64(3), True, None, "x"),
        4: {"e": np.float64(-0.0)},
    }
    parsed = json.loads(strict_json(obj), parse_constant=_refuse)
    assert parsed == {
        "a": None,
        "b": [None, 1.5, None],
        "c": [None, 2.0],
        "d": [3, True, None, "x"],
        "4": {"e": -0.0},
    }
    for unknown in (object(), Path("p"), {1, 2}):
        with pytest.raises(TypeError, match="not JSON serializable"):
            strict_json({"x": unknown})


def test_written_json_parses_strictly(evaluated):
    _, _, out = evaluated
    for name in ("metrics.json", "manifest.json"):
        json.loads((out / name).read_text(), parse_constant=_refuse)


@pytest.mark.parametrize(
    "text, cell",
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3.25", "-3.25"),
        ("-7", "-7"),
        ("-1e-05", "-1e-05"),
        ("Tom Brady", "Tom Brady"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralized(text, cell):
    assert csv_cell(text) == cell


def test_markdown_and_terminal_text_are_neutralized():
    assert markdown_cell("a | b\nc <b>d</b> \\") == "a \\| b c &lt;b&gt;d&lt;/b&gt; \\\\"
    assert terminal_text("\x1b[31mred\r\nx\x9b") == "?[31mred??x?"


def test_parquet_tables_hold_what_the_csvs_hold(evaluated):
    _, _, out = evaluated
    for name in ("plays", "leaderboard"):
        table = pq.read_table(out / f"{name}.parquet").to_pydict()
        rows = _read(out / f"{name}.csv")
        assert list(table) == list(rows[0]) and len(rows) == len(table[next(iter(table))])
        for column, values in table.items():
            for value, row in zip(values, rows, strict=True):
                text = row[column]
                if value is None:
                    assert text == "", column
                elif isinstance(value, float):
                    assert float(text) == pytest.approx(value, abs=1e-6), column
                else:
                    assert text == str(value), column
    ranks = pq.read_table(out / "leaderboard.parquet").column("rank")
    assert str(ranks.type) == "int64" and ranks.null_count > 0  # unranked passers: null


def test_manifest_records_code_versions_devices_config_store_and_files(evaluated):
    _, workdir, out = evaluated
    m = json.loads((out / "manifest.json").read_text())
    for package in ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy"):
        assert m["versions"][package] == importlib.metadata.version(package)
    assert m["versions"]["python"].count(".") == 2
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert m["code"]["git"]["commit"] == head and len(head) == 40
    assert m["devices"]["count"] == jax.device_count() and m["devices"]["platform"] == "cpu"
    assert isinstance(m["command"], list) and m["fold"] == "in-sample"
    trained = load_trained(workdir)
    assert m["model"]["config"] == json.loads(json.dumps(to_dict(trained.config)))
    assert m["model"]["checkpoint"] == str(trained.path)
    assert m["store"]["fingerprint"] == store_fingerprint(PlayStore.open(workdir / "store"))
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert sorted(m["files"]) == [f for f in files if f != "manifest.json"]
    for name, digest in m["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    page = (out / "report.html").read_text()
    assert head in page and m["store"]["fingerprint"] in page and "in-sample" in page


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href", "data", "action")]
        if tag == "link":
            self.refs.append((tag, "link", ""))


def test_report_is_one_self_contained_file(evaluated):
    _, _, out = evaluated
    page = (out / "report.html").read_text()
    parser = _Links()
    parser.feed(page)
    external = [
        r
        for r in parser.refs
        if not (r[1] == "src" and r[2].startswith("data:image/png;base64,"))
        and not (r[1] == "href" and r[2].startswith("#"))
    ]
    assert external == []
    assert not re.search(r"https?://|url\(|@import", page)
    assert page.count("data:image/png;base64,") == 4  # pit, calibration, densities, leaderboard
    season = [r for r in _read(out / "leaderboard.csv") if r["split"] == "season"]
    for r in season:  # every passer has his card, linked from the leaderboard
        assert f"id='p-{r['passer_id']}'" in page


def test_percentile_histograms_against_numpy():
    rng = np.random.default_rng(0)
    passer_N, pct_N = rng.integers(0, 5, 400) * 3, rng.uniform(size=400)
    pct_N[:3] = [0.0, 1.0, 0.1]  # edges: 1.0 belongs to the last bin
    ids_U = np.array([12, 0, 99])
    counts = percentile_counts(passer_N, pct_N, ids_U)
    for u, pid in enumerate(ids_U):
        want, _ = np.histogram(pct_N[passer_N == pid], bins=10, range=(0, 1))
        np.testing.assert_array_equal(counts[u], want)


def test_a_demo_sized_report_stays_small(evaluated):
    """17 weeks, ~60 passers, ~18k plays: the page must stay mailable (< 3 MB)."""
    _, _, out = evaluated
    rng = np.random.default_rng(0)
    n, passers = 18_000, 60
    passer_N = rng.integers(0, passers, n) + 1000
    game_N = rng.integers(0, 272, n)
    plays = {
        "gameId": 2022090800 + game_N,
        "week": game_N // 16 + 1,
        "passer_id": passer_N,
        "passer_name": np.asarray([f"Passer Number {p}" for p in passer_N], object),
        "team": np.asarray([f"T{p % 32}" for p in passer_N], object),
        "pressure": rng.random(n) < 0.3,
        "time_to_throw": rng.uniform(1.5, 5.0, n),
        "air_yards": rng.uniform(-5, 40, n),
    }
    pct_N = rng.uniform(size=n)
    scale = passing_score.ScoreScale(n_bootstrap=20)
    board = passing_score.leaderboard(plays, pct_N, scale)
    season = {k: v[board["split"] == "season"] for k, v in board.items()}
    trad = {
        "passer_id": season["passer_id"],
        "passer_rating": np.full(passers, 90.0),
        "yards_per_attempt": np.full(passers, 7.0),
    }
    figures = {k: out / f for k, f in FILES.items()}
    inputs = report.Inputs(board, season, trad, figures, passer_N, pct_N)
    result = json.loads((out / "metrics.json").read_text())
    page = report.report_html(result, json.loads((out / "manifest.json").read_text()), inputs)
    assert len(board["split"]) > 60 * 17 and len(page.encode()) < 3 * 2**20


# ---- the page in a real browser ----


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def _table(dom: str) -> tuple[dict, list[list[str]]]:
    """(state, body rows as cell texts) of the leaderboard explorer in a dumped DOM."""
    state = json.loads(html.unescape(re.search(r'data-state="([^"]*)"', dom).group(1)))
    body = re.search(r"<table id=\"lb-table\".*?<tbody>(.*?)</tbody>", dom, re.S).group(1)
    rows = [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return state, rows


# Injected after the page's own script: drive it as a user would (selects, headers, the filter)
# and leave what the table showed in the DOM.
DRIVE = """<script>
(function () {
  var shown = [];
  function snap(tag) {
    var t = document.getElementById("lb-table");
    var rows = Array.from(t.tBodies[0].rows).map(function (r) {
      return Array.from(r.cells).map(function (c) { return c.textContent; });
    });
    var sorts = {};
    t.querySelectorAll("th[data-key]").forEach(function (th) {
      sorts[th.getAttribute("data-key")] = th.getAttribute("aria-sort");
    });
    shown.push({tag: tag, state: JSON.parse(t.getAttribute("data-state")), rows: rows,
                sorts: sorts, hash: location.hash});
  }
  function header(key) {
    return document.querySelector("th[data-key='" + key + "'] button");
  }
  var family = document.getElementById("lb-family");
  family.value = "week";
  family.dispatchEvent(new Event("change"));
  snap("week");
  header("score").click();
  snap("score once");
  header("score").click();
  snap("score twice");
  header("passer_name").click();
  snap("name");
  var q = document.getElementById("lb-filter");
  q.value = "QUERY";
  q.dispatchEvent(new Event("input"));
  snap("filtered");
  document.body.setAttribute("data-test", JSON.stringify(shown));
})();
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_report_sorts_and_filters_in_a_headless_browser(evaluated, tmp_path):
    _, _, out = evaluated
    board = _read(out / "leaderboard.csv")
    page = out / "report.html"

    # 1. the view in the URL fragment: the pressure split, sorted by score, ascending
    dom = _chromium(
        tmp_path, "--dump-dom", f"{page.as_uri()}#lb?split=pressure&sort=score&dir=asc"
    ).stdout
    state, rows = _table(dom)
    assert state["split"] == "pressure" and state["sort"] == "score" and state["dir"] == "asc"
    want = sorted(float(r["score"]) for r in board if r["split"] == "pressure")
    assert [float(r[5]) for r in rows] == pytest.approx(want, abs=0.051)

    # 2. clicks and typing, driven by an injected script
    names = [r["passer_name"] for r in board if r["split"] == "season"]
    query = names[0].split()[-1][:3].lower()
    driven = tmp_path / "driven.html"
    driven.write_text(page.read_text().replace("</body>", DRIVE.replace("QUERY", query), 1))
    dom = _chromium(tmp_path, "--dump-dom", driven.as_uri()).stdout
    shown = {
        s["tag"]: s
        for s in json.loads(html.unescape(re.search(r'data-test="([^"]*)"', dom).group(1)))
    }
    week = shown["week"]["state"]["split"]
    assert week == "week=1"
    in_week = [r for r in board if r["split"] == week]
    assert len(shown["week"]["rows"]) == len(in_week) > 0
    once, twice = shown["score once"], shown["score twice"]
    assert once["sorts"]["score"] == "descending" and twice["sorts"]["score"] == "ascending"
    scores = sorted(float(r["score"]) for r in in_week)
    assert [float(r[5]) for r in once["rows"]] == pytest.approx(scores[::-1], abs=0.051)
    assert [float(r[5]) for r in twice["rows"]] == pytest.approx(scores, abs=0.051)
    by_name = [r[1] for r in shown["name"]["rows"]]
    assert by_name == sorted(by_name, key=str.lower) and shown["name"]["sorts"]["score"] == "none"
    filtered = shown["filtered"]["rows"]
    want = [r for r in in_week if query in (r["passer_name"] + " " + r["team"]).lower()]
    assert len(filtered) == len(want) > 0 and all(query in r[1].lower() for r in filtered)
    assert (
        f"q={query}" in shown["filtered"]["hash"] and "split=week%3D1" in shown["filtered"]["hash"]
    )

    # 3. the picture for the docs
    shot = tmp_path / "report.png"
    _chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1100,1400",
        f"--screenshot={shot}",
        f"{page.as_uri()}#lb?split=season&sort=score&dir=desc",
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("SBP_UPDATE_SCREENSHOT"):  # refresh the docs' picture only on request
        shutil.copyfile(shot, SCREENSHOT)
