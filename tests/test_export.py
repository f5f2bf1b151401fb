"""Anki and CSV export, checked by importing into real Anki collections (the `anki`
package, test-only) and by re-verifying every exported answer with torch."""

from __future__ import annotations

import csv
import dataclasses
import errno
import html
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from quizzer import decks, generators
from quizzer.answers import typed_form
from quizzer.cli import cli
from quizzer.export import notes as export_notes
from quizzer.export.anki import FIELDS, MODEL_ID, build_package, note_guid
from quizzer.export.notes import ExportNote
from quizzer.verify import draw

TOPICS = {generators.get(f).topic for f in generators.families()} | {
    d.topic for d in decks.load_decks()
}
N_CONCEPT = len(decks.all_cards())
N_SKILLS = sum(generators.get(f).levels for f in generators.families())


@pytest.fixture
def col(tmp_path: Path):
    (tmp_path / "anki").mkdir()
    c = Collection(str(tmp_path / "anki" / "collection.anki2"))
    yield c
    c.close()


def import_apkg(col: Collection, path: Path) -> dict[str, int]:
    req = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    log = col.import_anki_package(req).log
    return {
        "new": len(log.new),
        "updated": len(log.updated),
        "duplicate": len(log.duplicate),
        "conflicting": len(log.conflicting),
        "found": log.found_notes,
    }


def export(runner, db: Path, out: Path, *args: str):
    result = runner.invoke(cli, ["--db", str(db), "export", "anki", str(out), *args])
    assert result.exit_code == 0, result.output
    return result


def all_notes(col: Collection):
    return [col.get_note(nid) for nid in col.find_notes("")]


def package_notes(path: Path) -> list[tuple]:
    with zipfile.ZipFile(path) as z:
        data = z.read("collection.anki2")
    tmp = path.with_suffix(".anki2")
    tmp.write_bytes(data)
    con = sqlite3.connect(tmp)
    rows = con.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY guid").fetchall()
    con.close()
    return rows


def test_package_imports_cleanly(runner, tmp_path: Path, col: Collection):
    out = tmp_path / "quizzer.apkg"
    result = export(runner, tmp_path / "q.db", out, "--variants", "2")
    total = N_CONCEPT + 2 * N_SKILLS
    assert f"Wrote {out}: {total} notes" in result.output
    assert import_apkg(col, out) == {
        "new": total,
        "updated": 0,
        "duplicate": 0,
        "conflicting": 0,
        "found": total,
    }
    assert col.note_count() == total and col.card_count() == total
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert {f"quizzer::{t}" for t in TOPICS} <= names
    notes = all_notes(col)
    assert {n.note_type()["name"] for n in notes} == {"quizzer"}
    assert (
        list(notes[0].keys())
        == FIELDS
        == [
            "Question",
            "Answer",
            "Solution",
            "TorchCheck",
            "Source",
            "TypeIn",
        ]
    )
    assert {n.mid for n in notes} == {MODEL_ID} and not any(n["TypeIn"] for n in notes)
    by_source = {n["Source"]: n for n in notes}
    conv = [n for s, n in by_source.items() if s.startswith("conv-output:")]
    assert len(conv) == 2 * generators.get("conv-output").levels
    assert {"quizzer::conv-output", "quizzer::difficulty::1"} <= set(conv[0].tags) | set(
        conv[1].tags
    )
    concept = by_source["concept:2023-08-16/overfitting"]
    assert "quizzer::concept" in concept.tags and "quizzer::deck::2023-08-16" in concept.tags
    assert col.decks.name(col.get_card(concept.card_ids()[0]).did) == "quizzer::Generalization"
    # MathJax delimiters survive the import, and no $ math anywhere
    for n in conv:
        assert "\\[" in n["Solution"] and "\\]" in n["Solution"]
    assert not any("$" in n[f] for n in notes for f in n.keys())
    # the card renders: question on the front, answer and torch check on the back
    card = col.get_card(conv[0].card_ids()[0])
    assert conv[0]["Question"][:30] in card.question()
    assert "Torch check" in card.answer() and "torch.Size" in card.answer()


def test_every_exported_answer_equals_a_fresh_torch_verification(
    runner, tmp_path: Path, col: Collection
):
    out = tmp_path / "q.apkg"
    export(runner, tmp_path / "q.db", out, "--variants", "3", "--seed", "17")
    import_apkg(col, out)
    checked = 0
    for n in all_notes(col):
        if n["Source"].startswith("concept:"):
            continue
        family, version, level, seed, uid = n["Source"].split(":")
        q = draw(family, int(seed[1:]), int(level[1:]))  # generated and verified anew
        assert (f"v{q.version}", q.uid) == (version, uid)
        assert n["Answer"] == html.escape(q.answer, quote=False).replace("\n", "<br>")
        assert html.unescape(q.torch_check.output) in html.unescape(n["TorchCheck"])
        checked += 1
    assert checked == 3 * N_SKILLS


def test_reexport_updates_changed_notes_in_place_and_keeps_history(
    runner, tmp_path: Path, col: Collection, monkeypatch
):
    db, first, second = tmp_path / "q.db", tmp_path / "v1.apkg", tmp_path / "v2.apkg"
    export(runner, db, first, "--variants", "2")
    import_apkg(col, first)
    # the learner studies a card in Anki
    reviewed = col.find_cards('"Source:concept:2023-08-16/validation-set"')[0]
    for _ in range(3):
        card = col.get_card(reviewed)
        card.start_timer()
        col.sched.answerCard(card, 3)
    before = col.get_card(reviewed)
    assert before.ivl > 0 and before.reps == 3
    # a later quizzer rewords one concept card and one worked solution
    concept_notes, generated_notes = export_notes.concept_notes, export_notes.generated_notes

    def reworded_concepts(*a, **k):
        ns = concept_notes(*a, **k)
        i = next(i for i, n in enumerate(ns) if n.source.endswith("/validation-set"))
        ns[i] = dataclasses.replace(ns[i], answer=ns[i].answer + " (reworded)")
        return ns

    def reworded_solutions(*a, **k):
        ns = generated_notes(*a, **k)
        ns[0] = dataclasses.replace(ns[0], solution=ns[0].solution + "\nOne more step.")
        return ns

    monkeypatch.setattr(export_notes, "concept_notes", reworded_concepts)
    monkeypatch.setattr(export_notes, "generated_notes", reworded_solutions)
    result = export(runner, db, second, "--variants", "2")
    assert "2 new or changed since the last export" in result.output
    log = import_apkg(col, second)
    total = N_CONCEPT + 2 * N_SKILLS
    # Anki updates exactly the two changed notes and adds nothing; it lists the unchanged
    # ones (same modification time) as "duplicate", meaning already present and skipped
    assert log["updated"] == 2 and log["new"] == 0 and log["conflicting"] == 0
    assert log["duplicate"] == total - 2
    assert col.note_count() == total
    after = col.get_card(reviewed)
    assert (after.ivl, after.due, after.reps, after.type) == (
        before.ivl,
        before.due,
        before.reps,
        before.type,
    )
    assert after.note()["Answer"].endswith("(reworded)")


def test_same_export_twice_gives_the_same_notes_and_guids(runner, tmp_path: Path):
    a, b = tmp_path / "a.apkg", tmp_path / "b.apkg"
    export(runner, tmp_path / "1.db", a, "z-score", "2023-08-16", "--seed", "5")
    export(runner, tmp_path / "2.db", b, "z-score", "2023-08-16", "--seed", "5")
    rows_a, rows_b = package_notes(a), package_notes(b)
    n_deck = len(next(d for d in decks.load_decks() if d.id == "2023-08-16").cards)
    assert rows_a == rows_b and len(rows_a) == n_deck + 5 * 3
    fams, deck_ids = export_notes.targets(("z-score", "2023-08-16"))
    shown = export_notes.shown_concepts(deck_ids)
    sources = [n.source for n in export_notes.concept_notes(deck_ids, "en")]
    sources += [n.source for n in export_notes.generated_notes(fams, 5, 5, shown=shown)]
    assert sorted(note_guid(s) for s in sources) == [r[0] for r in rows_a]


def test_guid_comes_from_identity_not_text():
    n = ExportNote(source="concept:x/y", deck="quizzer::T", tags=(), question="Q", answer="A")
    m = dataclasses.replace(n, question="Q, reworded", answer="A, better")
    (_, ra), (_, rb) = build_package([n], 10), build_package([m], 10)
    assert ra[0].guid == rb[0].guid and ra[0].content != rb[0].content


def test_html_is_escaped_and_mathjax_kept(tmp_path: Path, col: Collection):
    note = ExportNote(
        source="concept:test/escape",
        deck="quizzer::Test",
        tags=("quizzer::test",),
        question="Is a < b && c > d? Here \\( x < y \\) and \\[ \\frac{a}{b} \\]",
        answer="yes & no",
    )
    package, _ = build_package([note], 1000)
    package.write_to_file(str(tmp_path / "e.apkg"))
    import_apkg(col, tmp_path / "e.apkg")
    got = all_notes(col)[0]
    assert got["Question"] == (
        "Is a &lt; b &amp;&amp; c &gt; d? Here \\( x &lt; y \\) and \\[ \\frac{a}{b} \\]"
    )
    assert got["Answer"] == "yes &amp; no"
    assert "\\(" in col.get_card(got.card_ids()[0]).question()


def test_type_answer_cards(runner, tmp_path: Path, col: Collection):
    """One note type: generated notes carry the answer to type in TypeIn and their cards show
    Anki's type-in box; concept notes leave TypeIn empty and show none."""
    out = tmp_path / "t.apkg"
    export(runner, tmp_path / "q.db", out, "conv-output", "2023-08-16", "--type-answer")
    import_apkg(col, out)
    models = {(n["Source"].split(":")[0], n.mid, bool(n["TypeIn"])) for n in all_notes(col)}
    assert models == {("concept", MODEL_ID, False), ("conv-output", MODEL_ID, True)}
    for note in all_notes(col):
        card = col.get_card(note.card_ids()[0])
        # the type-in box, filled in by Anki's reviewer; no box at all on a concept card
        assert ("[[type:TypeIn]]" in card.question()) == bool(note["TypeIn"])
        assert ("[[type:TypeIn]]" in card.answer()) == bool(note["TypeIn"])
        assert f'<div class="a">{note["Answer"]}</div>' in card.answer()
    for note in all_notes(col):  # TypeIn: the answer as typed, from the question drawn anew
        if note["TypeIn"]:
            family, _, level, seed, _ = note["Source"].split(":")
            q = draw(family, int(seed[1:]), int(level[1:]))
            assert note["TypeIn"] == html.escape(export_notes.typeable(q, typed_form), quote=False)


def test_csv_export(runner, tmp_path: Path):
    out = tmp_path / "q.csv"
    result = runner.invoke(
        cli, ["--db", str(tmp_path / "q.db"), "export", "csv", str(out), "--variants", "2"]
    )
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N_CONCEPT + 2 * N_SKILLS
    assert set(rows[0]) == {
        "source",
        "deck",
        "tags",
        "question",
        "answer",
        "solution",
        "torch_check",
    }
    z = next(r for r in rows if r["source"].startswith("z-score:"))
    assert "t.std(correction=" in z["torch_check"] and "# prints:" in z["torch_check"]


def test_csv_export_has_distinct_questions(runner, tmp_path: Path):
    """The same notes as the Anki export: activations level 1 repeats questions within its
    first 16 seeds, and the export skips those seeds for the next ones."""
    out = tmp_path / "a.csv"
    args = ["--db", str(tmp_path / "q.db"), "export", "csv", str(out), "activations"]
    result = runner.invoke(cli, [*args, "--variants", "16"])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16 * generators.get("activations").levels
    assert len({" ".join(r["question"].split()) for r in rows}) == len(rows)
    seeds = [int(r["source"].split(":")[3][1:]) for r in rows]
    assert max(seeds) >= 16  # some seed gave way to a later one


# Bad targets (directories, pipes, devices, links, missing or read-only directories, -)
# are tested for export anki, export csv and report alike in test_output_files.py.


def test_full_disk_leaves_no_partial_file(runner, tmp_path: Path, monkeypatch):
    import genanki

    def fill_the_disk(self, file, timestamp=None):
        Path(file).write_bytes(b"PK partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(genanki.Package, "write_to_file", fill_the_disk)
    out = tmp_path / "q.apkg"
    result = runner.invoke(
        cli,
        ["--db", str(tmp_path / "q.db"), "export", "anki", str(out), "z-score", "--variants", "1"],
    )
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: cannot write {out}: the disk is full"
    assert [p.name for p in tmp_path.iterdir() if "apkg" in p.name] == []


def test_a_really_full_disk(runner, tmp_path: Path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:  # fmt: skip
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        out = mnt / "q.apkg"
        result = runner.invoke(
            cli, ["--db", str(tmp_path / "q.db"), "export", "anki", str(out), "--variants", "5"]
        )
        assert result.exit_code == 1, result.output
        assert "the disk is full" in result.output
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_unknown_family_or_deck(runner, tmp_path: Path):
    result = runner.invoke(
        cli,
        ["--db", str(tmp_path / "q.db"), "export", "anki", str(tmp_path / "x.apkg"), "conv-outptu"],
    )
    assert result.exit_code == 2
    assert (
        "unknown family or deck 'conv-outptu'" in result.output and "conv-output" in result.output
    )
    assert not (tmp_path / "x.apkg").exists()
