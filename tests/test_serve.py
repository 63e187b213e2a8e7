"""The HTTP scoring service: answers equal the artifact's scores, every refusal is JSON with a 4xx
status naming the field, no traceback reaches a client, and SIGTERM stops it cleanly."""

import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import types
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from trained_fixtures import ROOT, tiny_trained, untrained

import sbp_jax
from sbp_jax.serve import adapter, load_artifact
from sbp_jax.serve.export import export_trained
from sbp_jax.serve.payload import MAX_REQUEST_FRAMES
from sbp_jax.serve.service import make_server

ATOL = 1e-6


def start(artifact, **kw):
    server = make_server(artifact, "127.0.0.1", 0, quiet=True, **kw)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def request(server, method, path, body=b"", content_type="application/json", headers=None):
    """(status, JSON body) of one request."""
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    hdrs = {"Content-Type": content_type, **(headers or {})}
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    assert resp.getheader("Content-Type") == "application/json"
    status, text = resp.status, resp.read()
    conn.close()
    return status, json.loads(text)


def as_json(play) -> bytes:
    return json.dumps({k: np.asarray(v).tolist() for k, v in play.items()}).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store, workdir = tiny_trained(tmp_path_factory)
    from sbp_jax.model.trained import load_trained

    out = tmp_path_factory.mktemp("serve") / "artifact"
    export_trained(load_trained(workdir), out, platforms=("cpu",), max_frames=12)
    art = load_artifact(out)
    server = start(art)
    yield store, art, server
    server.shutdown()
    server.server_close()


def test_health_reports_the_model(served):
    _, art, server = served
    status, body = request(server, "GET", "/health")
    assert status == 200 and body["status"] == "ok"
    assert body["sbp_jax_version"] == sbp_jax.__version__
    assert body["artifact"]["model"]["step"] == art.manifest["model"]["step"]
    assert body["artifact"]["static_names"] == ["a", "b", "c"]


def test_score_arrays_answers_the_artifacts_scores(served):
    store, art, server = served
    idx = [i for i in range(store.n_plays) if store.lengths[i] <= 12][:8]
    expected = {i: art.score(adapter.stored_play(store, i)) for i in idx}

    def ask(i):
        return i, request(server, "POST", "/score/arrays", as_json(adapter.stored_play(store, i)))

    with ThreadPoolExecutor(8) as pool:  # concurrent requests get their own play's answer
        answers = dict(pool.map(ask, idx))
    for i, (status, body) in answers.items():
        assert status == 200, body
        exp = expected[i]
        assert body["yards"] == float(store.yards[i]) and body["frames"] == int(store.lengths[i])
        np.testing.assert_allclose(body["percentile"], exp["percentile"], rtol=0, atol=ATOL)
        np.testing.assert_allclose(body["median"], exp["median"], rtol=0, atol=ATOL)
        assert list(body["quantiles"]) == [str(q) for q in art.levels]
        np.testing.assert_allclose(list(body["quantiles"].values()), exp["quantiles"], atol=ATOL)
    assert len({round(b["percentile"], 5) for _, b in answers.values()}) > 1


def test_array_requests_are_checked_naming_the_field(served):
    store, _, server = served
    short_i = int(np.argmin(store.lengths))
    good = {k: np.asarray(v).tolist() for k, v in adapter.stored_play(store, short_i).items()}
    long_i = int(np.argmax(store.lengths))
    assert store.lengths[long_i] > 12
    cases = [
        (b"{not json", 400, None),
        (b"[1, 2]", 400, None),
        (json.dumps({k: v for k, v in good.items() if k != "static"}).encode(), 422, "static"),
        (json.dumps(dict(good, presence=[1] * 21)).encode(), 422, "presence"),
        (json.dumps(dict(good, length="7")).encode(), 422, "length"),
        (json.dumps(dict(good, yards=float("nan"))).encode(), 422, "yards"),
        (as_json(adapter.stored_play(store, long_i)), 422, "length"),  # max_frames 12
    ]
    for body, status, field in cases:
        got_status, got = request(server, "POST", "/score/arrays", body)
        assert got_status == status, (body[:40], got)
        assert got["error"]["status"] == status and got["error"]["message"]
        assert got["error"].get("field") == field


def test_transport_errors(served, tmp_path):
    store, art, server = served
    assert request(server, "GET", "/nope")[0] == 404
    assert request(server, "GET", "/score")[0] == 405
    assert request(server, "POST", "/health")[0] == 405
    status, body = request(server, "PUT", "/score")
    assert status == 501 and "PUT" in body["error"]["message"]
    assert request(server, "POST", "/score/arrays", b"x,y\n", content_type="text/csv")[0] == 415
    # no Content-Length
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    conn.putrequest("POST", "/score/arrays")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 411 and json.loads(resp.read())["error"]["status"] == 411
    conn.close()
    # a body past the limit is refused before it is read
    small = start(art, max_body=1000)
    try:
        status, body = request(
            small, "POST", "/score/arrays", as_json(adapter.stored_play(store, 0))
        )
        assert status == 413 and "exceeds 1000 bytes" in body["error"]["message"]
        assert request(small, "GET", "/health")[0] == 200  # and the server goes on
    finally:
        small.shutdown()
        small.server_close()


def test_failures_inside_the_service_stay_in_its_log(served, monkeypatch, capfd):
    store, art, server = served

    def broken(play):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(art, "score", broken)
    status, body = request(server, "POST", "/score/arrays", as_json(adapter.stored_play(store, 0)))
    assert status == 500 and body == {
        "error": {"status": 500, "message": "internal error; see the service log"}
    }
    assert "secret internal detail" in capfd.readouterr().err  # logged on the server side


# Raw tracking rows: columns of a BDB 2023 tracking file.
HEADER = "gameId,playId,nflId,frameId,time,jerseyNumber,team,playDirection,x,y,s,a,dis,o,dir,event"


def rows_body(rows, play=None, tables=None, release=None):
    req = {"rows": rows, "play": play if play is not None else {"prePenaltyPlayResult": 4}}
    req |= {"tables": tables} if tables else {}
    return json.dumps(req | ({"release": release} if release else {})).encode()


def row(frame=1, **kw):
    base = dict(
        zip(
            HEADER.split(","),
            [1, 2, 3, frame, "t", 9, "home", "left"] + [1.0] * 7 + ["None"],
            strict=True,
        )
    )
    return base | kw


def test_raw_row_requests_are_checked_before_preprocessing(served):
    _, _, server = served
    cases = [
        (rows_body([row()], release="bdb2099"), 400, "release"),
        (rows_body([{k: v for k, v in row().items() if k != "x"}]), 422, "rows"),
        (rows_body([row(), row(x="abc")]), 422, "rows[1].x"),
        (rows_body([row(frameId=None)]), 422, "rows[0].frameId"),
        (rows_body([]), 422, "rows"),
        (rows_body("rows"), 400, "rows"),
        (json.dumps({"rows": [row()]}).encode(), 400, "play"),
        (rows_body([row()], play={"down": 3}), 422, "play"),
        (rows_body([row(frame=f) for f in range(MAX_REQUEST_FRAMES + 1)]), 422, "rows"),
    ]
    for body, status, field in cases:
        got_status, got = request(server, "POST", "/score", body)
        assert (got_status, got["error"].get("field")) == (status, field), got
    assert "'x'" in request(server, "POST", "/score", cases[1][0])[1]["error"]["message"]
    too_many = request(server, "POST", "/score", cases[-1][0])[1]
    assert "too many frames" in too_many["error"]["message"]
    # CSV: the same checks, the play context in the query string
    csv_body = (HEADER + "\n" + "1,2,3,1,t,9,home,left,abc,1,1,1,1,1,1,None\n").encode()
    play = urllib.parse.quote(json.dumps({"prePenaltyPlayResult": 4}))
    status, got = request(server, "POST", f"/score?play={play}", csv_body, "text/csv")
    assert (status, got["error"]["field"]) == (422, "rows[0].x")
    status, got = request(server, "POST", "/score", csv_body, "text/csv")
    assert (status, got["error"]["field"]) == (400, "play")


def test_rows_go_through_preprocess_play_to_the_scorer(served, monkeypatch):
    store, art, server = served
    i = int(np.argmin(store.lengths))
    seen = []

    def preprocess_play(rows, play, tables=None):  # stands in for sbp_jax.data.preprocess_play
        seen.append((rows, play))
        if play.get("down") == 99:
            raise ValueError("no ball_snap event in the rows")
        stored = adapter.stored_play(store, i)
        return types.SimpleNamespace(
            **{k: stored[k] for k in ("tracking", "presence", "length")},
            static=stored["static"],
            target_slot=3,
            attributes={},
        )

    monkeypatch.setattr(server, "preprocess_play", preprocess_play)
    status, got = request(server, "POST", "/score", rows_body([row(1), row(2, x="7.5")]))
    assert status == 200, got
    rows, play = seen[-1]
    assert [r["x"] for r in rows] == [1.0, 7.5] and rows[0]["frameId"] == 1.0
    assert play == {"prePenaltyPlayResult": 4}
    expected = art.score(dict(adapter.stored_play(store, i), yards=4.0, target_slot=3))
    assert got["yards"] == 4.0 and got["release"] == "bdb2023"
    np.testing.assert_allclose(got["percentile"], expected["percentile"], rtol=0, atol=ATOL)
    status, got = request(
        server, "POST", "/score", rows_body([row()], {"down": 99, "prePenaltyPlayResult": 1})
    )
    assert status == 422 and got["error"] == {
        "status": 422,
        "message": "no ball_snap event in the rows",
        "field": "rows",
    }


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    from sbp_jax.data.ingest import ingest
    from sbp_jax.synth import generate_league

    root = tmp_path_factory.mktemp("league")
    generate_league(root / "csv", weeks=1, seed=3, n_teams=2, dropbacks_per_team_game=6)
    store = ingest(root / "csv", root / "store", progress=False)
    export_trained(untrained(store), root / "artifact", platforms=("cpu",))
    art = load_artifact(root / "artifact")
    server = start(art)
    yield root / "csv", store, art, server
    server.shutdown()
    server.server_close()


def play_request(league_dir, game, play_id):
    """The tracking rows (CSV text) and context (plays.csv + games.csv row) of one play."""
    with open(league_dir / "week1.csv", newline="") as f:
        lines = f.read().splitlines()
    key = f"{game},{play_id},"
    body = "\n".join([lines[0], *(ln for ln in lines[1:] if ln.startswith(key))]) + "\n"
    with open(league_dir / "plays.csv", newline="") as f:
        play = next(r for r in csv.DictReader(f) if (r["gameId"], r["playId"]) == (game, play_id))
    with open(league_dir / "games.csv", newline="") as f:
        play |= next(r for r in csv.DictReader(f) if r["gameId"] == game)
    with open(league_dir / "players.csv", newline="") as f:
        players = list(csv.DictReader(f))  # the passer is the offense's QB (positions)
    return body, play, {"players.csv": players}


def test_raw_rows_score_like_the_stored_play(league):
    league_dir, store, art, server = league
    for i in range(min(store.n_plays, 3)):
        game, play_id = str(store.plays["gameId"][i]), str(store.plays["playId"][i])
        body, play, tables = play_request(league_dir, game, play_id)
        expected = art.score(adapter.stored_play(store, i))
        query = urllib.parse.urlencode({"play": json.dumps(play), "tables": json.dumps(tables)})
        by_csv = request(server, "POST", f"/score?{query}", body.encode(), "text/csv")
        rows = list(csv.DictReader(body.splitlines()))
        by_json = request(server, "POST", "/score", rows_body(rows, play, tables=tables))
        for status, got in (by_csv, by_json):
            assert status == 200, got
            assert got["release"] == "bdb2023" and got["frames"] == int(store.lengths[i])
            assert got["yards"] == float(store.yards[i])
            np.testing.assert_allclose(got["percentile"], expected["percentile"], atol=ATOL)
            np.testing.assert_allclose(
                list(got["quantiles"].values()), expected["quantiles"], atol=ATOL
            )


def test_sbp_serve_stops_cleanly_on_sigterm(served, tmp_path):
    _, art, _ = served
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [
        sys.executable,
        "-m",
        "sbp_jax.cli.serve",
        "--artifact",
        str(art.directory),
        "--port",
        "0",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"serving {art.directory} on http://127.0.0.1:"), first
        port = int(first.split("http://127.0.0.1:")[1].split()[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/health")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") != "close"
        resp.read()
        # the idle keep-alive connection stays open: it must not keep the server from stopping
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        conn.close()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and "Traceback" not in err
