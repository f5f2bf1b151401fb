"""Anki exports imported into real Anki collections (the `anki` package, test-only):
no two notes show the same question (Anki's own duplicate check), switching --type-answer
on and off updates the notes in place with Anki's default import options, and a collection
holding an export made for the older note type takes the new one as updates."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import genanki
import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS as ALWAYS
from anki.notes import NoteFieldsCheckResult

from quizzer import generators
from quizzer.answers import typed_form
from quizzer.export import anki as export_anki
from quizzer.export import html as export_html
from quizzer.export import notes as export_notes
from quizzer.export.anki import note_guid
from quizzer.export.html import duplicate_key, fields
from quizzer.export.notes import ShownQuestions
from quizzer.i18n import LANGUAGES
from quizzer.verify import draw_many
from tests.test_export import all_notes, export

OLD_TYPE_MODEL_ID = 1_732_700_002  # the type-in note type of exports before TypeIn


def new_collection(path: Path) -> Collection:
    path.mkdir()
    return Collection(str(path / "collection.anki2"))


@pytest.fixture
def col(tmp_path: Path):
    c = new_collection(tmp_path / "anki")
    yield c
    c.close()


def import_apkg(col: Collection, path: Path, **options: Any) -> dict[str, int]:
    """Import as Anki's import dialog does with its default options (or these)."""
    opts = ImportAnkiPackageOptions(**options)
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=opts))
    col.models._clear_cache()  # as Anki's GUI does after an import: note types may have changed
    return {
        "new": len(log.log.new),
        "updated": len(log.log.updated),
        "duplicate": len(log.log.duplicate),
        "conflicting": len(log.log.conflicting),
    }


def quizzer_note_types(col: Collection) -> list[tuple[int, list[str], int]]:
    """(id, field names, notes using it) of every note type named like quizzer's (Anki
    names a second copy "quizzer+"), read from the collection's tables."""
    return [
        (
            ntid,
            col.db.list("select name from fields where ntid = ? order by ord", ntid),
            col.db.scalar("select count() from notes where mid = ?", ntid),
        )
        for ntid in col.db.list("select id from notetypes where name like 'quizzer%' order by id")
    ]


def study(col: Collection, query: str, times: int = 3) -> int:
    """Answer the first card matching query `times` times (Good); its card id."""
    cid = col.find_cards(query)[0]
    for _ in range(times):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    return cid


def history(col: Collection, cids: list[int]) -> tuple:
    cards = [col.get_card(c) for c in cids]
    return (
        [(c.ivl, c.due, c.reps, c.type, c.queue, c.nid) for c in cards],
        col.db.scalar("select count() from revlog"),
    )


def source_skill(source: str) -> tuple[str, int]:
    family, _version, level, *_ = source.split(":")
    return family, int(level[1:])


# ---------------------------------------------------------------- distinct questions


@pytest.fixture(autouse=True)
def _anki_language():
    """Collection.find_dupes strips HTML with Anki's i18n backend, set up by the GUI."""
    import anki.lang

    anki.lang.set_lang("en")


def test_a_full_export_has_no_two_notes_with_the_same_question(runner, tmp_path: Path):
    """--variants 16, in each language: Anki's own duplicate check (note.fields_check, and
    the browser's Find Duplicates on the Question field) finds nothing, every skill has its 16
    variants, and the notes (guids) are the same in both languages."""
    per_skill = 16
    n_skills = sum(generators.get(f).levels for f in generators.families())
    guids = {}
    for lang in LANGUAGES:
        out = tmp_path / f"{lang}.apkg"
        export(runner, tmp_path / f"{lang}.db", out, "--variants", str(per_skill), "--lang", lang)
        col = new_collection(tmp_path / f"anki-{lang}")
        try:
            log = import_apkg(col, out)
            notes = all_notes(col)
            assert log["new"] == len(notes) == col.note_count()
            assert log["duplicate"] == log["conflicting"] == 0
            checks = Counter(n.fields_check() for n in notes)
            assert checks == {NoteFieldsCheckResult.NORMAL: len(notes)}
            assert col.find_dupes("Question") == []
            skills = Counter(
                source_skill(n["Source"]) for n in notes if not n["Source"].startswith("concept:")
            )
            assert len(skills) == n_skills and set(skills.values()) == {per_skill}
            guids[lang] = sorted(n.guid for n in notes)
        finally:
            col.close()
    assert guids["en"] == guids["zh"]


def test_anki_flags_the_duplicates_the_check_is_for(tmp_path: Path, col: Collection):
    """The Anki check used above can fail: two notes with one question (even written with
    a line break in one) are flagged, and quizzer's key says the same of them."""
    base = dict(deck="quizzer::T", tags=(), answer="A")
    one = export_notes.ExportNote(source="x:v1:L1:s0:a", question="What is\nReLU(-1.5)?", **base)
    two = export_notes.ExportNote(source="x:v1:L1:s2:b", question="What isReLU(-1.5)?", **base)
    package, _ = export_anki.build_package([one, two], 1000)
    package.write_to_file(str(tmp_path / "d.apkg"))
    import_apkg(col, tmp_path / "d.apkg")
    checks = {n.fields_check() for n in all_notes(col)}
    assert checks == {NoteFieldsCheckResult.DUPLICATE}
    assert len(col.find_dupes("Question")) == 1
    assert duplicate_key(one.question) == duplicate_key(two.question)


def _greedy(family: str, seeds: range, level: int, taken: set) -> list[int]:
    """The seeds to keep, found independently: a seed is kept unless its question text (en,
    zh, without HTML) or its uid was kept before."""
    kept = []
    for q in draw_many(family, list(seeds), level):
        keys = {("uid", q.generator, q.uid)}
        for lang in LANGUAGES:
            field = fields(export_notes.ExportNote("s", "d", (), _prompt(q, lang), "a"))[0]
            shown = html.unescape(re.sub(r"<[^>]*>", "", field))
            keys.add((lang, " ".join(shown.split())))
        if not keys & taken:
            kept.append(q.seed)
            taken |= keys
    return kept


def _prompt(q, lang: str) -> str:
    return generators.localized(q, lang)["prompt"]


@pytest.mark.parametrize("family", ["activations", "receptive-field", "vgg-stacking"])
def test_a_seed_whose_question_is_already_shown_gives_way_to_the_next(family: str):
    """Families with few distinct questions at level 1: the chosen seeds are the first ones
    whose question is new in the export (across levels too), checked independently."""
    variants = 16
    got = export_notes.generated_notes([family], variants, 0)
    chosen = [(source_skill(n.source), int(n.source.split(":")[3][1:])) for n in got]
    taken: set = set()
    for level in range(1, generators.get(family).levels + 1):
        expected = _greedy(family, range(0, 120), level, taken)[:variants]
        assert [s for skill, s in chosen if skill == (family, level)] == expected
    # the old plan (seeds 0-15 at every level) repeated questions: the check has teeth
    assert [s for _, s in chosen] != list(range(variants)) * generators.get(family).levels


def test_fewer_distinct_questions_than_variants_are_named(runner, tmp_path: Path):
    out = tmp_path / "a.apkg"
    result = export(runner, tmp_path / "q.db", out, "activations", "--variants", "40")
    m = re.search(
        r"activations level 1: only (\d+) distinct questions in (\d+) seeds from 0, so \1 "
        r"variants instead of 40\.",
        result.output,
    )
    assert m, result.output
    found, tried = int(m[1]), int(m[2])
    assert found < 40 and tried >= found + 64
    # every distinct question in the seeds tried is there, and nothing twice
    assert len(_greedy("activations", range(tried), 1, set())) == found
    notes = export_notes.generated_notes(["activations"], 40, 0)
    level1 = [n for n in notes if source_skill(n.source) == ("activations", 1)]
    assert len(level1) == found == len({duplicate_key(n.question) for n in level1})


def test_the_same_question_in_any_language_or_by_uid_is_the_same_question():
    """Keys of a question: its uid and its text in every language, so en and zh exports
    choose the same seeds (today no family repeats in one language only)."""
    q = draw_many("activations", [0], 1)[0]
    keys = export_notes._question_keys(q)
    assert keys == [
        ("uid", f"activations:{q.uid}"),
        *((lang, duplicate_key(_prompt(q, lang))) for lang in LANGUAGES),
    ]
    shown = ShownQuestions()
    assert shown.add(keys)
    for key in keys:  # any one of them taken is enough to skip a question
        assert not shown.add([key, ("en", "a question not shown yet")])


def test_a_variant_never_repeats_a_concept_card():
    shown = export_notes.shown_concepts(export_notes.targets(())[1])
    card = next(iter(export_notes.concept_notes(["2023-08-16"], "en")))
    assert not shown.add(ShownQuestions.text_keys({"en": card.question}))


# ---------------------------------------------------------------- --type-answer on and off


def test_switching_type_answer_updates_in_place_with_default_import_options(
    runner, tmp_path: Path, col: Collection
):
    """plain → --type-answer → plain, each imported with Anki's default options: the
    generated notes are updated in place (conflicting 0), their cards gain and lose the
    type-in box, concept cards never have one, and the review history stays."""
    db, names = tmp_path / "q.db", ("conv-output", "2023-08-16", "--variants", "2")
    plain, typed, plain_again = (tmp_path / f"{n}.apkg" for n in ("p1", "t", "p2"))
    export(runner, db, plain, *names)
    first = import_apkg(col, plain)
    n_gen = len(col.find_notes('"Source:conv-output:*"'))
    n_all = col.note_count()
    assert first["new"] == n_all and n_gen == 2 * generators.get("conv-output").levels
    studied = [study(col, '"Source:conv-output:*"'), study(col, '"Source:concept:*"')]
    before = history(col, studied)

    def type_in_boxes() -> dict[str, int]:
        boxes = Counter()
        for n in all_notes(col):
            card = col.get_card(n.card_ids()[0])
            has = "[[type:TypeIn]]" in card.question() and "[[type:TypeIn]]" in card.answer()
            assert has == bool(n["TypeIn"]), n["Source"]
            assert "[[type:" not in card.question() or has
            boxes[n["Source"].split(":")[0]] += has
        return dict(boxes)

    assert type_in_boxes() == {"conv-output": 0, "concept": 0}
    assert (
        f"{n_gen} new or changed since the last export"
        in export(runner, db, typed, *names, "--type-answer").output
    )
    log = import_apkg(col, typed)
    assert log == {"new": 0, "updated": n_gen, "duplicate": n_all - n_gen, "conflicting": 0}
    assert type_in_boxes() == {"conv-output": n_gen, "concept": 0}
    note = col.get_note(col.find_notes('"Source:conv-output:*"')[0])
    card = col.get_card(note.card_ids()[0])
    family, _, level, seed, _ = note["Source"].split(":")
    q = draw_many(family, [int(seed[1:])], int(level[1:]))[0]
    assert note["TypeIn"] == html.escape(export_notes.typeable(q, typed_form), quote=False)
    assert f'<div class="a">{note["Answer"]}</div>' in card.answer()  # the answer as written
    assert history(col, studied) == before

    export(runner, db, plain_again, *names)
    log = import_apkg(col, plain_again)
    assert log == {"new": 0, "updated": n_gen, "duplicate": n_all - n_gen, "conflicting": 0}
    assert type_in_boxes() == {"conv-output": 0, "concept": 0}
    assert history(col, studied) == before
    assert col.note_count() == n_all
    assert quizzer_note_types(col) == [(export_anki.MODEL_ID, export_anki.FIELDS, n_all)]


# ---------------------------------------------------------------- older exports


OLD_FIELDS = ["Question", "Answer", "Solution", "TorchCheck", "Source"]


def old_style_package(notes, path: Path, typed: bool, mtime: int) -> list[tuple[str, str, int]]:
    """An export as quizzer wrote it before the TypeIn field (the note types copied from
    that version), and the records that version kept in its database."""
    q = export_anki.QUESTION
    plain_model = genanki.Model(
        export_anki.MODEL_ID,
        "quizzer",
        fields=[{"name": f} for f in OLD_FIELDS],
        templates=[
            {
                "name": "Card 1",
                "qfmt": q,
                "afmt": '{{FrontSide}}\n<hr id=answer>\n<div class="a">{{Answer}}</div>'
                + export_anki.REST,
            }
        ],
        css=export_anki.CSS,
        sort_field_index=0,
    )
    typed_model = genanki.Model(
        OLD_TYPE_MODEL_ID,
        "quizzer (type the answer)",
        fields=[{"name": f} for f in OLD_FIELDS],
        templates=[
            {
                "name": "Card 1",
                "qfmt": q + "\n\n{{type:Answer}}",
                "afmt": q + "\n<hr id=answer>\n{{type:Answer}}" + export_anki.REST,
            }
        ],
        css=export_anki.CSS,
        sort_field_index=0,
    )

    class OldNote(genanki.Note):
        def write_to_db(self, cursor, timestamp, deck_id, id_gen):
            super().write_to_db(cursor, mtime, deck_id, id_gen)

    decks, records = {}, []
    for n in notes:
        values = fields(n)[:5]
        model = plain_model
        if typed and n.generated:
            model, values[1] = typed_model, html.escape(n.typed, quote=False)
        guid = export_anki.note_guid(n.source)
        content = "\x1f".join([str(model.model_id), *values, *sorted(n.tags), n.deck])
        records.append((guid, hashlib.sha256(content.encode()).hexdigest(), mtime))
        deck = decks.setdefault(n.deck, genanki.Deck(export_anki.deck_id(n.deck), n.deck))
        deck.add_note(OldNote(model=model, fields=values, tags=list(n.tags), guid=guid))
    genanki.Package(list(decks.values())).write_to_file(str(path), timestamp=mtime)
    return records


@pytest.mark.parametrize("old_typed", [False, True], ids=["old-plain", "old-type-in"])
def test_a_collection_from_an_older_export_takes_the_new_one_as_updates(
    runner, tmp_path: Path, col: Collection, store, db_path: Path, old_typed: bool, monkeypatch
):
    """An export made for the older note type (five fields; type-in cards on a second note
    type) in the learner's Anki, and a concept card reworded since. Anki's default import
    refuses the new notes as "conflicting" and changes nothing. Imported once with "Merge
    note types" and "Update notes: Always", every note is updated in place with its review
    history and the old type-in note type is folded in; later exports import with the
    default options again. quizzer says what to do on its first export since the change."""
    names = ("z-score", "2023-08-16")
    fams, deck_ids = export_notes.targets(names)
    notes = export_notes.concept_notes(deck_ids, "en") + export_notes.generated_notes(
        fams, 3, 0, shown=export_notes.shown_concepts(deck_ids)
    )
    n_gen = sum(n.generated for n in notes)
    reworded = dataclasses.replace(notes[0], answer="(the older wording)")
    old, now = tmp_path / "old.apkg", int(time.time())
    # what the older quizzer remembered of its export, in the learner's database
    records = old_style_package([reworded, *notes[1:]], old, old_typed, now - 1000)
    store.save_anki_notes(records)
    assert import_apkg(col, old)["new"] == len(notes)
    studied = [study(col, '"Source:z-score:*"'), study(col, '"Source:concept:*"')]
    before = history(col, studied)
    old_fields = {n.guid: n.fields for n in all_notes(col)}

    new = tmp_path / "new.apkg"
    with monkeypatch.context() as m:  # exported a while before it is imported, as in life
        m.setattr(time, "time", lambda: now - 100.0)
        result = export(runner, db_path, new, *names, "--variants", "3")
    assert f"{len(notes)} notes" in result.stdout
    assert '"Merge note types" ticked and "Update notes" set to "Always"' in result.stderr
    conflicting = {"new": 0, "updated": 0, "duplicate": 0, "conflicting": len(notes)}
    assert import_apkg(col, new) == conflicting
    assert {n.guid: n.fields for n in all_notes(col)} == old_fields  # nothing changed

    # "Merge note types" alone is not enough: merging marks the notes of the note type
    # modified now, so the file's notes are not newer and the reworded card keeps its text
    other = new_collection(tmp_path / "merge-only")
    try:
        import_apkg(other, old)
        log = import_apkg(other, new, merge_notetypes=True)
        assert log["conflicting"] == 0 and log["new"] == 0
        assert log["updated"] == (n_gen if old_typed else 0)  # notes moved from the old type
        stale = other.get_note(other.find_notes(f'"Source:{reworded.source}"')[0])
        assert stale["Answer"] == "(the older wording)"
    finally:
        other.close()

    log = import_apkg(col, new, merge_notetypes=True, update_notes=ALWAYS)
    assert log == {"new": 0, "updated": len(notes), "duplicate": 0, "conflicting": 0}
    assert col.note_count() == len(notes)
    assert quizzer_note_types(col) == [(export_anki.MODEL_ID, export_anki.FIELDS, len(notes))]
    assert history(col, studied) == before
    package = {note_guid(n.source): fields(n) for n in notes}
    assert {n.guid: n.fields for n in all_notes(col)} == package

    # from now on, Anki's default options: --type-answer on, then off
    typed = tmp_path / "typed.apkg"
    result = export(runner, db_path, typed, *names, "--variants", "3", "--type-answer")
    assert "Merge note types" not in result.output
    log = import_apkg(col, typed)
    assert log == {"new": 0, "updated": n_gen, "duplicate": len(notes) - n_gen, "conflicting": 0}
    assert len(col.find_notes("TypeIn:_*")) == n_gen
    plain = tmp_path / "plain.apkg"
    export(runner, db_path, plain, *names, "--variants", "3")
    log = import_apkg(col, plain)
    assert log == {"new": 0, "updated": n_gen, "duplicate": len(notes) - n_gen, "conflicting": 0}
    assert col.find_notes("TypeIn:_*") == []
    assert history(col, studied) == before


# ---------------------------------------------------------------- the card's headings

_HEADING = re.compile(r'<div class="(?:label|prints)">([^<]*)</div>')
# the answer side's template before the headings moved into the fields (English only)
OLD_REST = """
{{#Solution}}<div class="label">Worked solution</div>{{Solution}}{{/Solution}}
{{#TorchCheck}}<div class="label">Torch check</div>{{TorchCheck}}{{/TorchCheck}}
<div class="src">{{Source}}</div>"""


def card_headings(col: Collection) -> dict[str, list[str]]:
    """Each generated note's source: the headings its card shows on the answer side, in
    order, as Anki renders the card."""
    out = {}
    for note in all_notes(col):
        if note["Source"].startswith("concept:"):
            continue
        out[note["Source"]] = _HEADING.findall(col.get_card(note.card_ids()[0]).answer())
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_cards_headings_are_in_its_language(runner, tmp_path: Path, col: Collection, lang):
    """Rendered by Anki, every generated card of a --lang zh export shows 解题过程, torch 验证
    and 输出： and no English heading (nor the English words anywhere on the card); an
    English export the reverse. Concept cards have no headings."""
    out = tmp_path / f"{lang}.apkg"
    export(runner, tmp_path / "q.db", out, "conv-output", "2023-08-16", "--variants", "2",
           "--lang", lang)  # fmt: skip
    assert import_apkg(col, out)["conflicting"] == 0
    words = export_html.HEADINGS[lang]
    want = [words["solution"], words["torch_check"], words["prints"]]
    got = card_headings(col)
    assert len(got) == 2 * generators.get("conv-output").levels
    assert all(h == want for h in got.values()), got
    other = export_html.HEADINGS["zh" if lang == "en" else "en"].values()
    for note in all_notes(col):
        card = col.get_card(note.card_ids()[0])
        for side in (card.question(), card.answer()):
            assert not any(w.lower() in side.lower() for w in other), note["Source"]
    assert export_html.HEADINGS["en"].keys() == export_html.HEADINGS["zh"].keys()


def test_a_collection_with_the_english_heading_template_takes_the_new_one(
    runner, tmp_path: Path, col: Collection
):
    """A collection holding an export from when the headings were in the note type's
    template (English) takes a later --lang zh export with Anki's default options: the note
    type's template is replaced (same id and fields: no conflict), the notes are updated in
    place with their history, and each card shows its headings once, in Chinese."""
    names = ("conv-output", "--variants", "2")
    fams, _ = export_notes.targets(names[:1])
    notes = export_notes.generated_notes(fams, 2, 0)
    old_model = genanki.Model(
        export_anki.MODEL_ID, "quizzer", fields=[{"name": f} for f in export_anki.FIELDS],
        templates=[{"name": "Card 1", "qfmt": export_anki.FRONT, "afmt": export_anki.QUESTION
                    + "\n<hr id=answer>\n" + export_anki.TYPE_IN
                    + '\n<div class="a">{{Answer}}</div>' + OLD_REST}],
        css=export_anki.CSS, sort_field_index=0,
    )  # fmt: skip
    label = re.compile(r'<div class="label">[^<]*</div>')
    decks: dict[str, Any] = {}
    for n in notes:
        values = fields(n)
        # that version's fields: no headings, and "prints:" in English
        values[2] = label.sub("", values[2])
        values[3] = label.sub("", values[3])
        deck = decks.setdefault(n.deck, genanki.Deck(export_anki.deck_id(n.deck), n.deck))
        deck.add_note(genanki.Note(model=old_model, fields=values, tags=list(n.tags),
                                   guid=note_guid(n.source)))  # fmt: skip
    old = tmp_path / "old.apkg"
    genanki.Package(list(decks.values())).write_to_file(str(old), timestamp=time.time() - 1000)
    assert import_apkg(col, old)["new"] == len(notes)
    assert set(map(tuple, card_headings(col).values())) == {
        ("Worked solution", "Torch check", "prints:")
    }
    studied = [study(col, '"Source:conv-output:*"')]
    before = history(col, studied)

    new = tmp_path / "zh.apkg"
    export(runner, tmp_path / "q.db", new, *names, "--lang", "zh")
    log = import_apkg(col, new)
    assert log == {"new": 0, "updated": len(notes), "duplicate": 0, "conflicting": 0}
    assert set(map(tuple, card_headings(col).values())) == {("解题过程", "torch 验证", "输出：")}
    assert "Worked solution" not in col.models.get(export_anki.MODEL_ID)["tmpls"][0]["afmt"]
    assert history(col, studied) == before
    assert quizzer_note_types(col) == [(export_anki.MODEL_ID, export_anki.FIELDS, len(notes))]
