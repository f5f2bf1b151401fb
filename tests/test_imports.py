"""`import quizzer.cli` and `quizzer --help` must not load the heavy libraries.

Checked in a subprocess: other tests may already have imported torch in this one."""

import json
import subprocess
import sys

HEAVY = ("torch", "sympy", "sqlalchemy", "genanki", "alembic", "fsrs", "numpy")


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    mods = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return [m for m in HEAVY if m in mods]


def test_import_cli_is_light():
    assert loaded_after("import quizzer.cli") == []


def test_help_is_light():
    code = (
        "import sys\nfrom quizzer.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    assert loaded_after(code) == []


def test_topics_needs_no_torch():
    code = "from quizzer.cli import cli\ncli.main(['topics'], standalone_mode=False)"
    assert loaded_after(code) == []


def test_generators_and_decks_are_pure_python():
    code = "from quizzer import generators, decks\ngenerators.families()\ndecks.all_cards()"
    assert loaded_after(code) == []


def test_python_dash_m():
    out = subprocess.run(
        [sys.executable, "-m", "quizzer", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("quizzer, version ")
