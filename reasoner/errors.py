"""Errors that name what went wrong and where, for people to read."""

from __future__ import annotations


# Exit codes of every command (documented in `dorsum --help` and the README).
EXIT_OK = 0
EXIT_FAILED = 1   # a case was invalid, a check or a verification failed
EXIT_USAGE = 2    # a usage error or an unreadable input: a missing file, a wrong --kb, a directory that is no store
EXIT_BUSY = 3     # the store is locked or busy: another dorsum load or serve holds it; retry later
EXIT_CODES_HELP = ("Exit codes: 0 ok; 1 a case was invalid or a check failed; 2 a usage error or an unreadable "
                   "input (a missing file, a wrong --kb, a directory that is no store); 3 the store is locked or "
                   "busy (another dorsum load or serve is using it): retry later.")


class DorsumError(Exception):
    """Base class: a problem dorsum can explain to its user."""


class KnowledgeBaseError(DorsumError):
    """A knowledge-base file could not be loaded (it names the file and, when known, the line)."""

    def __init__(self, file: str, message: str, line: int | None = None):
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")
