"""Which database file --db, $QUIZZER_DB or the default names (standard library only).

Every form a learner may type goes through the same parser, so every form gets the same
checks afterwards (quizzer.db):

    ~/notes/quizzer.sqlite3            a path (relative to the working directory)
    sqlite:///relative.db              SQLAlchemy URLs, with or without the driver name
    sqlite:////absolute/path.db        (four slashes: an absolute path)
    sqlite+pysqlite:////absolute.db
    sqlite:///file:path.db?mode=ro&uri=true
    file:/absolute/path.db?mode=ro     SQLite URI filenames (percent-encoded)
    file:///absolute/path.db

`mode=ro` opens the file read-only. Refused, each with one line: an empty name, a NUL
byte, in-memory databases (`sqlite://`, `:memory:`, `mode=memory`: every answer would be
lost when the process ends), query parameters quizzer does not know, and other database
servers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from quizzer.errors import DatabaseError

ENV_VAR = "QUIZZER_DB"
FILENAME = "quizzer.sqlite3"
SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")  # two letters or more: C:\ is a path
_MODES = {"ro": True, "rw": False, "rwc": False}


@dataclass(frozen=True)
class Location:
    """A database file: its absolute path, whether it is to be opened read-only (mode=ro),
    whether it is the default location (its directory may be created), and the name as the
    learner gave it (for messages)."""

    path: Path
    read_only: bool = False
    default: bool = False
    given: str = ""


def default_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path("quizzer", appauthor=False) / FILENAME


def locate(db: str | None) -> Location:
    """The database named by --db (`db`), else $QUIZZER_DB (an empty value counts as unset),
    else the default file in the user's data directory. Raises DatabaseError, one line,
    for a name quizzer cannot or must not use."""
    if db is None:
        db = os.environ.get(ENV_VAR) or None
        source = f"${ENV_VAR}"
    else:
        source = "--db"
    if db is None:
        return Location(default_path(), default=True, given=str(default_path()))
    if db.strip() == "":
        raise DatabaseError(f"{source} is empty: give a database file path or sqlite:/// URL")
    if "\x00" in db:
        raise DatabaseError(f"{source} contains a NUL byte: give a database file path")
    m = _SCHEME.match(db)
    scheme = m.group(1).lower() if m else None
    if scheme is None:
        return Location(_absolute(db), given=db)
    if scheme == "file":
        return _file_uri(db, db)
    if scheme in SQLITE_SCHEMES:
        return _sqlalchemy_url(db, scheme)
    if scheme.split("+")[0] in ("sqlite",):
        raise DatabaseError(f"{db}: unsupported SQLite driver {scheme!r}; use sqlite:///PATH")
    raise DatabaseError(
        f"{scheme}: databases are not supported; quizzer keeps your history in an SQLite "
        "file: give its path or an sqlite:/// URL"
    )


def _absolute(path: str) -> Path:
    if path in ("-", "--") or path.endswith(("/", os.sep)):
        raise DatabaseError(f"{path!r} is not a database file name; give one such as "
                            f"~/quizzer.sqlite3")  # fmt: skip
    try:
        p = Path(path).expanduser()
    except RuntimeError:  # ~user of a user that does not exist
        raise DatabaseError(f"{path}: no such user's home directory") from None
    if str(p) in (":memory:", ""):
        raise DatabaseError(f"{path} is an in-memory database, which would lose every answer")
    return Path(os.path.abspath(p))


def _sqlalchemy_url(url: str, scheme: str) -> Location:
    rest = url[len(scheme) + 1 :]
    if not rest.startswith("//"):
        raise DatabaseError(f"{url}: not a valid URL; write sqlite:///relative.db or "
                            "sqlite:////absolute/path.db")  # fmt: skip
    rest = rest[2:]
    host, slash, database = rest.partition("/")
    database, _, query = database.partition("?")
    if host:
        raise DatabaseError(f"{url}: an SQLite URL has no host; write sqlite:////{host}/...")
    if not slash or not database or database == ":memory:":
        raise DatabaseError(f"{url} is an in-memory database, which would lose every answer")
    params = dict(parse_qsl(query, keep_blank_values=True))
    uri = params.pop("uri", "").lower() in ("true", "1", "yes")
    if uri or database.startswith("file:"):
        if not database.startswith("file:"):
            database = "file:" + database
        return _file_uri(database + (f"?{_join(params)}" if params else ""), url)
    read_only = _mode(params.pop("mode", None), url)
    _no_more(params, url)
    database = unquote(database)  # as SQLAlchemy reads it: my%20quiz.db is "my quiz.db"
    if "\x00" in database:
        raise DatabaseError(f"{url} contains a NUL byte: give a database file path")
    return Location(_absolute(database), read_only=read_only, given=url)


def _file_uri(uri: str, given: str) -> Location:
    """An SQLite URI filename (https://sqlite.org/uri.html)."""
    body, _, _fragment = uri[len("file:") :].partition("#")
    path, _, query = body.partition("?")
    if path.startswith("//"):
        authority, slash, tail = path[2:].partition("/")
        if authority not in ("", "localhost"):
            raise DatabaseError(f"{given}: a file: URI names a file on this machine only")
        path = slash + tail
    path = unquote(path)
    params = dict(parse_qsl(query, keep_blank_values=True))
    mode = params.pop("mode", None)
    if mode == "memory" or path in ("", ":memory:"):
        raise DatabaseError(f"{given} is an in-memory database, which would lose every answer")
    read_only = _mode(mode, given)
    _no_more(params, given)
    if "\x00" in path:
        raise DatabaseError(f"{given} contains a NUL byte: give a database file path")
    return Location(_absolute(path), read_only=read_only, given=given)


def _mode(mode: str | None, given: str) -> bool:
    if mode is None:
        return False
    if mode not in _MODES:
        raise DatabaseError(f"{given}: mode={mode} is not supported; use mode=ro or leave it out")
    return _MODES[mode]


def _no_more(params: dict[str, str], given: str) -> None:
    if params:
        names = ", ".join(sorted(params))
        raise DatabaseError(f"{given}: unsupported parameter {names}; only mode=ro is understood")


def _join(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
