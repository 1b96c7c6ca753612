"""Errors that name what went wrong and where, for people to read."""

from __future__ import annotations


class DorsumError(Exception):
    """Base class: a problem dorsum can explain to its user."""


class KnowledgeBaseError(DorsumError):
    """A knowledge-base file could not be loaded (it names the file and, when known, the line)."""

    def __init__(self, file: str, message: str, line: int | None = None):
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")
