"""Every command through click's CliRunner, on real SQLite files, with real torch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from quizzer import generators
from quizzer.answers import typed_form
from quizzer.cli import cli
from quizzer.models import CardState, Review
from quizzer.session import practice_plan
from quizzer.verify import draw

FAMILIES = ["conv-output", "hadamard-matmul", "one-hot", "receptive-field", "z-score"]
COMMANDS = ["topics", "generate", "quiz", "review", "stats", "config", "verify", "export"]


def reviews(db: Path) -> list[Review]:
    from quizzer.db import connect
    from quizzer.store import Store

    with Store(connect(str(db))).session() as s:
        return list(s.scalars(select(Review).order_by(Review.id)))


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help_with_an_example(runner, command):
    args = [command, "--help"] if command else ["--help"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    if command:
        assert "Example" in result.output


def test_the_five_families_are_registered():
    assert set(FAMILIES) <= set(generators.families())


def test_topics(runner):
    result = runner.invoke(cli, ["topics"])
    assert result.exit_code == 0
    for fam in FAMILIES:
        assert fam in result.output
    data = json.loads(runner.invoke(cli, ["topics", "--json"]).output)
    assert {f["id"] for f in data["families"]} >= set(FAMILIES)
    assert any(d["id"] == "2023-08-16" and d["cards"] >= 10 for d in data["decks"])


PARAM_KEYS = {
    "conv-output": {"layer", "input_shape", "kernel_size", "stride", "padding"},
    "receptive-field": {"layers"},
    "one-hot": ({"features", "sample"}, {"labels", "num_classes"}),  # or F.one_hot
    "z-score": {"data", "x", "correction"},
    "hadamard-matmul": {"a", "b", "op"},
}


@pytest.mark.parametrize("family", FAMILIES)
def test_generate_json(runner, family):
    result = runner.invoke(
        cli, ["generate", family, "-n", "3", "--seed", "5", "--level", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [x["seed"] for x in lines] == [5, 6, 7]
    for rec in lines:
        assert {
            "generator",
            "version",
            "seed",
            "params",
            "prompt",
            "answer",
            "result",
            "verified_by",
        } <= rec.keys()
        assert rec["generator"] == family
        keys = PARAM_KEYS[family]
        assert any(k <= rec["params"].keys() for k in (keys if isinstance(keys, tuple) else [keys]))
        assert rec["verified_by"][0] in ("formula", formula_by(family))
        assert rec["verified_by"][1].startswith("torch ")
    again = runner.invoke(
        cli, ["generate", family, "-n", "3", "--seed", "5", "--level", "2", "--json"]
    )
    assert again.output == result.output


def formula_by(family: str) -> str:
    """What a family's verified_by names first: "formula", or sympy and its version."""
    from importlib import metadata

    from quizzer import generators

    if generators.get(family).formula_by == "sympy":
        return f"sympy {metadata.version('sympy')}: exact closed forms"
    return "formula"


def test_generate_result_types(runner):
    def one(family, level=2):
        out = runner.invoke(
            cli, ["generate", family, "--seed", "1", "--level", str(level), "--json"]
        ).output
        return json.loads(out)

    conv = one("conv-output")
    assert all(isinstance(v, int) for v in conv["result"])
    assert conv["params"]["layer"] in {
        "Conv1d",
        "Conv2d",
        "MaxPool1d",
        "MaxPool2d",
        "AvgPool1d",
        "AvgPool2d",
    }
    assert isinstance(one("receptive-field")["result"], int)
    rf = one("receptive-field")["params"]["layers"]
    assert all({"kernel_size", "stride", "dilation"} <= set(layer) for layer in rf)
    assert set(one("one-hot", level=1)["result"]) <= {0, 1}
    z = one("z-score")
    assert isinstance(z["result"], float) and z["params"]["correction"] in (0, 1)
    hm = one("hadamard-matmul")
    assert hm["params"]["op"] in ("mul", "matmul")
    assert hm["result"] is None or isinstance(hm["result"], list)


def test_generate_text(runner):
    result = runner.invoke(cli, ["generate", "z-score", "--seed", "3"])
    assert result.exit_code == 0 and "Answer:" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "conv-outptu"], "unknown family 'conv-outptu'; choose from: "),
        (["quiz", "nope", "-n", "1"], "unknown family 'nope'; choose from: "),
        (["generate", "z-score", "-n", "0"], "0 is not in the range x>=1"),
        (["quiz", "-n", "-3"], "-3 is not in the range x>=1"),
        (["quiz", "-n", "0"], "0 is not in the range x>=1"),
        (["generate", "z-score", "--level", "9"], "z-score has levels 1..3"),
        (["config", "colour", "1"], "unknown setting 'colour'"),
    ],
)
def test_usage_errors(runner, args, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_family_lists_the_families(runner):
    result = runner.invoke(cli, ["generate", "xyz"])
    for fam in FAMILIES:
        assert fam in result.output


@pytest.mark.parametrize("kind", ["directory", "not-sqlite", "unwritable", "missing-parent"])
@pytest.mark.parametrize("command", [["review"], ["quiz", "-n", "1"], ["stats"]])
def test_bad_db_gives_one_line_and_exit_1(runner, tmp_path: Path, kind, command):
    target = tmp_path / "db"
    if kind == "directory":
        target.mkdir()
    elif kind == "not-sqlite":
        target.write_bytes(b"%PDF-1.4 not a database\n" * 50)
    elif kind == "unwritable":
        target = Path("/proc/quizzer.sqlite3")
    else:
        target = tmp_path / "no" / "such" / "dir" / "q.db"
    before = target.read_bytes() if target.is_file() else None
    result = runner.invoke(cli, ["--db", str(target), *command], input="q\n")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    if before is not None:
        assert target.read_bytes() == before


def test_db_from_environment(runner, tmp_path: Path, monkeypatch):
    env_db = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("QUIZZER_DB", str(env_db))
    assert runner.invoke(cli, ["stats"]).exit_code == 0
    assert env_db.exists()


def test_db_as_sqlalchemy_url(runner, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'url.sqlite3'}"
    assert runner.invoke(cli, ["--db", url, "stats"]).exit_code == 0
    assert (tmp_path / "url.sqlite3").exists()


def test_quiz_records_practice_answers(runner, db_path: Path):
    plan = practice_plan(FAMILIES, 4, 42, None)
    qs = [draw(f, s, lvl) for f, lvl, s in plan]
    typed = [
        typed_form(qs[0]),
        "?",
        "zzz-not-an-answer" if qs[1].kind != "labels" else "s",
        "s",
        typed_form(qs[2]),
        "q",
    ]
    result = runner.invoke(
        cli,
        ["--db", str(db_path), "quiz", *FAMILIES, "-n", "4", "--seed", "42"],
        input="\n".join(typed) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Session over: 3 answered" in result.output
    rows = reviews(db_path)
    assert [r.mode for r in rows] == ["practice"] * 3
    assert [r.seed for r in rows] == [q.seed for q in qs[:3]]
    assert rows[0].correct is True and rows[0].typed_answer == typed_form(qs[0])
    assert rows[2].correct is True
    assert all(r.rating is None for r in rows)


def test_quiz_stops_cleanly_at_end_of_input(runner, db_path: Path):
    plan = practice_plan(["z-score"], 3, 7, 1)
    q = draw(*[(f, s, lvl) for f, lvl, s in plan][0])
    result = runner.invoke(
        cli,
        ["--db", str(db_path), "quiz", "z-score", "-n", "3", "--seed", "7", "--level", "1"],
        input=typed_form(q) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Session over: 1 answered" in result.output
    assert len(reviews(db_path)) == 1


def test_review_schedules_and_grades(runner, db_path: Path):
    # first new cards: level-1 skills; answer the first wrong (then it is Again)
    result = runner.invoke(cli, ["--db", str(db_path), "review", "--limit", "2"], input="s\n1\n")
    assert result.exit_code == 0, result.output
    rows = reviews(db_path)
    assert len(rows) == 2 and rows[0].mode == "review" and rows[0].skipped
    assert rows[0].rating == 1
    assert "Next review due:" in result.output
    from quizzer.db import connect
    from quizzer.store import Store

    with Store(connect(str(db_path))).session() as s:
        states = s.scalars(select(CardState).where(CardState.state != 0)).all()
        assert len(states) == 2


def test_review_shows_concept_cards_self_graded(runner, db_path: Path):
    # new cards come level-1 skills first (one per family), then the concept cards
    n = len(generators.families())
    result = runner.invoke(
        cli,
        ["--db", str(db_path), "review", "--limit", str(n + 1), "--new", str(n + 1)],
        input="s\n" * n + "\nx\n4\n",
    )
    assert result.exit_code == 0, result.output
    assert "concept" in result.output and "Did you know it?" in result.output
    assert "Type 1, 2, 4, or press Enter for 3 (Good)" in result.output  # "x" is asked again
    last = reviews(db_path)[-1]
    assert (last.mode, last.rating, last.correct, last.typed_answer) == ("review", 4, True, None)
    assert "\x1b[" not in result.output  # plain text when output is not a terminal


def test_stats_json(runner, db_path: Path):
    runner.invoke(cli, ["--db", str(db_path), "review", "--limit", "1"], input="s\n")
    data = json.loads(runner.invoke(cli, ["--db", str(db_path), "stats", "--json"]).output)
    assert data["answers"]["reviews"] == 1
    assert sum(data["cards"].values()) >= 15 + 10
    assert data["cards"]["learning"] == 1
    text = runner.invoke(cli, ["--db", str(db_path), "stats"]).output
    assert "Cards:" in text and "1 learning" in text


def test_config_roundtrip(runner, db_path: Path):
    assert runner.invoke(cli, ["--db", str(db_path), "config", "new-per-day", "3"]).exit_code == 0
    out = runner.invoke(cli, ["--db", str(db_path), "config"]).output
    assert "new-per-day = 3" in out and "retention = 0.9" in out


def test_q_quits_at_the_grading_prompts_too(runner, db_path: Path):
    """q quits at every prompt: at a concept's grading prompt nothing is recorded for it;
    at the rating prompt after a right answer, that answer stays saved as Good."""
    from quizzer import newcards
    from quizzer.store import catalog

    rank = newcards.ranks(catalog())  # the order of new cards: n skills, then a concept card
    n = [u.split(":")[0] for u in sorted(rank, key=rank.get)].index("concept")
    result = runner.invoke(
        cli,
        ["--db", str(db_path), "review", "--limit", str(n + 1), "--new", str(n + 1)],
        input="s\n" * n + "\nq\n",
    )
    assert result.exit_code == 0, result.output
    assert "Did you know it?" in result.output and f"Session over: {n} answered" in result.output
    assert len(reviews(db_path)) == n

    from quizzer.db import connect
    from quizzer.prefetch import installed_torch_version
    from quizzer.store import Store

    other = db_path.with_name("other.sqlite3")
    store = Store(connect(str(other)))
    store.sync_catalog()
    first = store.next_card(datetime.now(UTC), new_left=1)
    q = draw(first.family, 5, first.difficulty)
    store.add_variants([q], installed_torch_version())
    result = runner.invoke(cli, ["--db", str(other), "review"], input=typed_form(q) + "\nq\n")
    assert result.exit_code == 0, result.output
    assert "Rated Good" in result.output and "Session over: 1 answered" in result.output
    assert [(r.correct, r.rating) for r in reviews(other)] == [(True, 3)]
