"""The project's own exceptions. Only cli.py turns them into click errors."""


class QuizzerError(Exception):
    """An error the user can act on; its message is one line."""


class DatabaseError(QuizzerError):
    """The database cannot be opened, created or migrated."""


class DatabaseReadOnly(DatabaseError):
    """A write was asked of a database quizzer may only read."""


class WriteFailed(DatabaseError):
    """A write could not be committed (disk full, I/O error, lock held too long); nothing of
    it was kept. The message says why in the learner's words."""


class UnknownFamily(QuizzerError):
    """A generator family id that is not registered."""


class Rejected(QuizzerError):
    """A generated variant failed verification (formula and torch disagree, or torch refused it)."""


class AnswerFormatError(QuizzerError):
    """A typed answer could not be read; carries a hint. Not the same as a wrong answer."""
