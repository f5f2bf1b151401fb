"""Output files of `export anki`, `export csv` and `report`: only regular files are
written, symbolic links are written through, `-` is standard output where the format is
text (CSV), and every refusal is one line that leaves the target exactly as it was.

Every special file is made inside tmp_path (FIFOs, a UNIX socket, device nodes made with
mknod): no test ever points at a real /dev path, where a bug would clobber the machine's
device."""

from __future__ import annotations

import csv
import errno
import io
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from quizzer.cli import cli
from quizzer.export.files import ExportError, Format, atomic_write, check_target, output_target
from quizzer.export.table import COLUMNS

FORMATS = ["anki", "csv", "report"]
EXAMPLE = {"anki": "quizzer.apkg", "csv": "quizzer.csv", "report": "report.html"}
ROOT = os.geteuid() == 0
CSV_FMT = Format("quizzer.csv")


def invoke(runner, tmp_path: Path, fmt: str, target: str):
    db = str(tmp_path / "q.db")
    if fmt == "report":
        return runner.invoke(cli, ["--db", db, "report", "--out", target])
    return runner.invoke(cli, ["--db", db, "export", fmt, target, "z-score", "--variants", "1"])


def files_in(d: Path) -> list[str]:
    """The names in d, leaving out the database (q.db and SQLite's q.db-wal, q.db-shm)."""
    return sorted(p.name for p in d.iterdir() if not p.name.startswith("q.db"))


def one_error_line(result) -> str:
    """The single line on stderr of a refused command (exit 1, no traceback, no stdout)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0].removeprefix("Error: ")


def snapshot(top: Path) -> dict[str, tuple]:
    """Every entry under top, links not followed: type, permission bits, bytes or link text."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                extra: object = Path(p).read_bytes()
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                extra = st.st_rdev
            else:
                extra = None
            found[os.path.relpath(p, top)] = (kind, stat.S_IMODE(st.st_mode), extra)
    return found


def free_block_major() -> int:
    """A block major number no driver has here (240-254 are for local use): opening a
    node with it fails with ENXIO, so even a buggy test could not write to a real disk."""
    text = Path("/proc/devices").read_text()
    used = {int(line.split()[0]) for line in text.split("Block devices:")[1].splitlines()[1:]}
    return next(m for m in range(240, 255) if m not in used)


# ---------------------------------------------------------------- refused targets

# each builder makes the target in w and returns (target name, expected message); the
# message may use {ex} (a file name of the format's kind) and {alt} (", or - for standard
# output" where `-` is allowed)
NOT_REGULAR = "not a regular file; give a file name such as {ex}{alt}"


def _directory(w: Path) -> tuple[str, str]:
    (w / "adir").mkdir()
    t = str(w / "adir")
    return t, f"{t} is a directory; give a file name such as {t}/{{ex}}"


def _directory_slash(w: Path) -> tuple[str, str]:
    (w / "adir").mkdir()
    t = str(w / "adir") + "/"
    return t, f"{t} is a directory; give a file name such as {t}{{ex}}"


def _fifo(w: Path) -> tuple[str, str]:
    os.mkfifo(w / "fifo")
    t = str(w / "fifo")
    return t, f"{t} is a named pipe (FIFO), {NOT_REGULAR}"


def _socket(w: Path) -> tuple[str, str]:
    cwd = os.getcwd()
    os.chdir(w)  # a socket's path must be short: bind a relative name
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind("sock")
    finally:
        os.chdir(cwd)
    t = str(w / "sock")
    assert stat.S_ISSOCK(os.lstat(t).st_mode)
    return t, f"{t} is a socket, {NOT_REGULAR}"


def _char_device(w: Path) -> tuple[str, str]:
    if not ROOT:
        pytest.skip("mknod of a device needs root")
    os.mknod(w / "chr", stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a null device, in tmp_path
    t = str(w / "chr")
    return t, f"{t} is a character device, {NOT_REGULAR}"


def _block_device(w: Path) -> tuple[str, str]:
    if not ROOT:
        pytest.skip("mknod of a device needs root")
    os.mknod(w / "blk", stat.S_IFBLK | 0o600, os.makedev(free_block_major(), 0))
    t = str(w / "blk")
    return t, f"{t} is a block device, {NOT_REGULAR}"


def _link_to_directory(w: Path) -> tuple[str, str]:
    (w / "adir").mkdir()
    (w / "link").symlink_to("adir")
    t = str(w / "link")
    return t, f"{t} (a link to {w / 'adir'}) is a directory; give a file name such as {t}/{{ex}}"


def _link_to_fifo(w: Path) -> tuple[str, str]:
    os.mkfifo(w / "fifo")
    (w / "link").symlink_to("fifo")
    t = str(w / "link")
    return t, f"{t} (a link to {w / 'fifo'}) is a named pipe (FIFO), {NOT_REGULAR}"


def _link_to_link_to_char_device(w: Path) -> tuple[str, str]:
    if not ROOT:
        pytest.skip("mknod of a device needs root")
    (w / "dev").mkdir()
    os.mknod(w / "dev" / "full", stat.S_IFCHR | 0o666, os.makedev(1, 7))  # like /dev/full
    (w / "inner").symlink_to(w / "dev" / "full")
    (w / "link").symlink_to("inner")
    t = str(w / "link")
    return t, f"{t} (a link to {w / 'dev' / 'full'}) is a character device, {NOT_REGULAR}"


def _link_loop(w: Path) -> tuple[str, str]:
    (w / "loop1").symlink_to("loop2")
    (w / "loop2").symlink_to("loop1")
    t = str(w / "loop1")
    return t, f"cannot write {t}: it is a loop of symbolic links"


def _link_to_itself(w: Path) -> tuple[str, str]:
    (w / "self").symlink_to("self")
    t = str(w / "self")
    return t, f"cannot write {t}: it is a loop of symbolic links"


def _missing_directory(w: Path) -> tuple[str, str]:
    t = str(w / "no" / "such" / "out.file")
    return t, f"cannot write {t}: directory {w / 'no' / 'such'} does not exist"


def _missing_directory_slash(w: Path) -> tuple[str, str]:
    t = str(w / "newdir") + "/"
    return t, f"cannot write {t}: directory {w / 'newdir'} does not exist"


def _dangling_link_into_missing_directory(w: Path) -> tuple[str, str]:
    (w / "link").symlink_to(w / "gone" / "x.out")
    t = str(w / "link")
    real = w / "gone" / "x.out"
    return t, f"cannot write {t} (a link to {real}): directory {w / 'gone'} does not exist"


def _parent_is_a_file(w: Path) -> tuple[str, str]:
    (w / "afile").write_text("keep me")
    t = str(w / "afile" / "out.file")
    return t, f"cannot write {t}: Not a directory"


REFUSED: dict[str, Callable[[Path], tuple[str, str]]] = {
    "directory": _directory,
    "directory/": _directory_slash,
    "fifo": _fifo,
    "socket": _socket,
    "char-device": _char_device,
    "block-device": _block_device,
    "link-to-directory": _link_to_directory,
    "link-to-fifo": _link_to_fifo,
    "link-to-link-to-char-device": _link_to_link_to_char_device,
    "link-loop": _link_loop,
    "link-to-itself": _link_to_itself,
    "missing-directory": _missing_directory,
    "missing-directory/": _missing_directory_slash,
    "dangling-link-into-missing-directory": _dangling_link_into_missing_directory,
    "parent-is-a-file": _parent_is_a_file,
}


@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("fmt", FORMATS)
def test_refused_target_gives_one_line_and_stays_as_it_was(
    runner, tmp_path: Path, fmt: str, kind: str
):
    w = tmp_path / "w"
    w.mkdir()
    target, expected = REFUSED[kind](w)
    before = snapshot(w)
    result = invoke(runner, tmp_path, fmt, target)
    alt = ", or - for standard output" if fmt == "csv" else ""
    assert one_error_line(result) == expected.format(ex=EXAMPLE[fmt], alt=alt)
    assert snapshot(w) == before  # same types, bytes, links; no temporary file left
    assert not (tmp_path / "q.db").exists()  # refused before any work was done


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_only_directory(runner, tmp_path: Path, fmt: str):
    ro = tmp_path / "ro"
    ro.mkdir()
    if ROOT:  # root writes anywhere chmod allows nothing: mount a read-only file system
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)],
                                 capture_output=True).returncode == 0  # fmt: skip
        if not mounted:
            pytest.skip("cannot mount a read-only tmpfs here")
    else:
        ro.chmod(0o555)
    try:
        result = invoke(runner, tmp_path, fmt, str(ro / "out.file"))
        why = "Read-only file system" if ROOT else "Permission denied"
        assert one_error_line(result) == f"cannot write in {ro}: {why}"
        assert list(ro.iterdir()) == []
    finally:
        if ROOT:
            subprocess.run(["umount", str(ro)], check=True)
        else:
            ro.chmod(0o755)


def test_a_bad_target_is_refused_before_the_notes_are_built(runner, tmp_path: Path, monkeypatch):
    from quizzer.export import notes

    def never(*a, **k):
        raise AssertionError("built notes for a target that is refused")

    monkeypatch.setattr(notes, "generated_notes", never)
    os.mkfifo(tmp_path / "fifo")
    result = invoke(runner, tmp_path, "anki", str(tmp_path / "fifo"))
    assert one_error_line(result).startswith(f"{tmp_path / 'fifo'} is a named pipe (FIFO)")


# ---------------------------------------------------------------- standard output


@pytest.mark.parametrize(
    ("fmt", "why"),
    [
        ("anki", "an Anki package is a binary file (a zip archive)"),
        ("report", "the report is a page to open in a browser"),
    ],
)
def test_dash_is_refused_for_binary_or_browser_formats(
    runner, tmp_path: Path, monkeypatch, fmt: str, why: str
):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, tmp_path, fmt, "-")
    assert one_error_line(result) == (
        f"cannot write to standard output (-): {why}; give a file name such as {EXAMPLE[fmt]}"
    )
    assert not (tmp_path / "-").exists()


def test_csv_dash_is_standard_output(runner, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, tmp_path, "csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))
    assert rows[0] == COLUMNS
    assert len(rows) == 1 + 3 and all(r[0].startswith("z-score:") for r in rows[1:])
    assert result.stderr == "Wrote 3 rows to standard output.\n"
    assert files_in(tmp_path) == []  # no file named -, no temporary file
    # the same bytes as a file export
    assert invoke(runner, tmp_path, "csv", "file.csv").exit_code == 0
    assert (tmp_path / "file.csv").read_bytes() == result.stdout_bytes


def test_a_file_named_dash_is_written_as_dot_slash_dash(runner, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, tmp_path, "csv", "./-")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote ./-: 3 rows.\n"
    assert (tmp_path / "-").read_text(encoding="utf-8").startswith(",".join(COLUMNS))


def test_csv_dash_into_a_closed_pipe_stops_quietly(tmp_path: Path):
    env = {**os.environ, "QUIZZER_DB": str(tmp_path / "q.db")}
    cmd = [sys.executable, "-m", "quizzer", "export", "csv", "-", "--variants", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b"source,dec"
    proc.stdout.close()  # the reader goes away, as `| head` does
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141  # as every command ends when its reader has gone
    assert err == b""


# ---------------------------------------------------------------- written targets


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_file_honours_the_umask(runner, tmp_path: Path, fmt: str):
    out = tmp_path / f"new.{fmt}"
    old = os.umask(0o027)
    try:
        result = invoke(runner, tmp_path, fmt, str(out))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {out}")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert files_in(tmp_path) == [out.name]


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_file_is_replaced_and_keeps_its_permissions(runner, tmp_path: Path, fmt: str):
    out = tmp_path / f"old.{fmt}"
    out.write_bytes(b"old content")
    out.chmod(0o600)
    inode = out.stat().st_ino
    result = invoke(runner, tmp_path, fmt, str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {out}")
    assert out.read_bytes() != b"old content" and out.stat().st_ino != inode  # renamed over
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("fmt", FORMATS)
def test_symlink_is_written_through_and_kept(runner, tmp_path: Path, fmt: str):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / f"x.{fmt}"
    real.write_bytes(b"old")
    real.chmod(0o640)
    (link_dir / "inner").symlink_to(f"../real/x.{fmt}")
    link = link_dir / "out"
    link.symlink_to("inner")  # a chain of two relative links
    result = invoke(runner, tmp_path, fmt, str(link))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {real} (through the link {link})")
    assert os.readlink(link) == "inner" and os.readlink(link_dir / "inner") == f"../real/x.{fmt}"
    assert real.read_bytes() != b"old" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real_dir.iterdir()) == [real.name]
    assert sorted(p.name for p in link_dir.iterdir()) == ["inner", "out"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_dangling_symlink_into_an_existing_directory_creates_its_file(
    runner, tmp_path: Path, fmt: str
):
    (tmp_path / "d").mkdir()
    link = tmp_path / "out"
    link.symlink_to(f"d/made.{fmt}")
    result = invoke(runner, tmp_path, fmt, str(link))
    assert result.exit_code == 0, result.output
    real = tmp_path / "d" / f"made.{fmt}"
    assert result.stdout.startswith(f"Wrote {real} (through the link {link})")
    assert link.is_symlink() and real.is_file() and real.stat().st_size > 0


# ---------------------------------------------------------------- the library


def test_temporary_file_is_made_in_the_real_files_directory(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "link.csv").symlink_to("../b/real.csv")
    seen = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_text("x,y\n")

    target = atomic_write(tmp_path / "a" / "link.csv", write, CSV_FMT)
    assert seen[0].parent == tmp_path / "b" and not seen[0].exists()
    assert target.path == tmp_path / "b" / "real.csv" and target.link
    assert (tmp_path / "b" / "real.csv").read_text() == "x,y\n"


@pytest.mark.parametrize("becomes", ["fifo", "directory", "symlink"])
def test_a_target_that_changes_while_being_written_is_not_replaced(tmp_path: Path, becomes: str):
    out = tmp_path / "out.csv"

    def write_then_swap(tmp: Path) -> None:
        tmp.write_text("x,y\n")
        if becomes == "fifo":
            os.mkfifo(out)
        elif becomes == "directory":
            out.mkdir()
        else:
            out.symlink_to("elsewhere.csv")

    with pytest.raises(ExportError) as exc:
        atomic_write(out, write_then_swap, CSV_FMT)
    kind = {"fifo": "a named pipe (FIFO)", "directory": "a directory", "symlink": "a symbolic link"}
    assert str(exc.value) == (
        f"cannot write {out}: it became {kind[becomes]} while being written; it was left as it is"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left
    mode = os.lstat(out).st_mode
    assert {"fifo": stat.S_ISFIFO, "directory": stat.S_ISDIR, "symlink": stat.S_ISLNK}[becomes](
        mode
    )


def test_the_cli_refuses_a_target_that_became_a_fifo(runner, tmp_path: Path, monkeypatch):
    from quizzer.export import table

    out = tmp_path / "out.csv"
    write_csv = table.write_csv

    def write_then_swap(notes, tmp):
        write_csv(notes, tmp)
        os.mkfifo(out)

    monkeypatch.setattr(table, "write_csv", write_then_swap)
    result = invoke(runner, tmp_path, "csv", str(out))
    assert one_error_line(result) == (
        f"cannot write {out}: it became a named pipe (FIFO) while being written; "
        "it was left as it is"
    )
    assert stat.S_ISFIFO(os.lstat(out).st_mode)
    assert files_in(tmp_path) == ["out.csv"]


def test_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path):
    out = tmp_path / "out.csv"
    out.write_text("old")

    def fill_the_disk(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError, match=f"^cannot write {out}: the disk is full$"):
        atomic_write(out, fill_the_disk, CSV_FMT)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"] and out.read_text() == "old"


def test_an_error_in_write_propagates_and_leaves_no_temporary_file(tmp_path: Path):
    def broken(tmp: Path) -> None:
        tmp.write_text("partial")
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        atomic_write(tmp_path / "out.csv", broken, CSV_FMT)
    assert list(tmp_path.iterdir()) == []


def test_check_target_changes_nothing(tmp_path: Path):
    (tmp_path / "old.csv").write_text("old")
    before = snapshot(tmp_path)
    assert check_target(tmp_path / "new.csv", CSV_FMT).path == tmp_path / "new.csv"
    assert check_target(tmp_path / "old.csv", CSV_FMT).mode is not None
    assert output_target("-", CSV_FMT) is None
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- never over a database


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--out", "{target}"],
        ["export", "csv", "{target}", "z-score", "--variants", "1"],
        ["export", "anki", "{target}", "z-score", "--variants", "1"],
    ],
)
@pytest.mark.parametrize("which", ["", "-wal", "-journal", "-shm-absent"])
def test_an_output_never_replaces_the_learners_database(runner, tmp_path: Path, args, which):
    """A slip of the tab key (report --out quizzer.sqlite3) must not erase the history."""
    db = tmp_path / "quizzer.sqlite3"
    assert runner.invoke(cli, ["--db", str(db), "stats"]).exit_code == 0
    Path(f"{db}-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 28)  # as a live WAL
    target = Path(f"{db}{which.removesuffix('-absent')}")
    before = target.read_bytes() if target.exists() else None
    result = runner.invoke(cli, ["--db", str(db), *[a.format(target=target) for a in args]])
    assert result.exit_code == 1, result.output
    reason = "is an SQLite database" if not which else "the SQLite database"
    assert reason in result.output and len(result.output.strip().splitlines()) == 1
    assert (target.read_bytes() if target.exists() else None) == before


def test_a_backup_may_replace_an_older_backup_but_not_the_database(runner, tmp_path: Path):
    db = tmp_path / "quizzer.sqlite3"
    out = tmp_path / "nightly.sqlite3"
    assert runner.invoke(cli, ["--db", str(db), "stats"]).exit_code == 0
    for _ in range(2):
        result = runner.invoke(cli, ["--db", str(db), "backup", str(out)])
        assert result.exit_code == 0, result.output
    for target in (db, Path(f"{db}-wal")):
        target.touch()
        result = runner.invoke(cli, ["--db", str(db), "backup", str(target)])
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
