"""Errors an operator can act on: a one-line message, a hint how to fix it, and the CLI's exit code.

The library raises these; ``vocmine.cli`` prints them as one or two lines (no traceback unless ``--debug``)
and exits with ``exit_code``. The codes are documented in the README ("Exit codes").
"""

from __future__ import annotations

from pydantic import ValidationError

UNEXPECTED = 1  # a bug or an environment problem: the traceback is behind --debug
USAGE = 2  # the command, an option value or a config file is wrong (click's own usage errors use 2 too)
INPUT = 3  # an input the command reads is missing, malformed or holds nothing for what was asked
RUN_FAILED = 4  # a flow run ended Failed: it read nothing, or its report could not be made


class VocmineError(Exception):
    """Base: ``message`` says what is wrong, ``hint`` how to fix it."""

    exit_code = UNEXPECTED

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def __reduce__(self):  # Prefect and Dask pickle exceptions across processes: keep the hint
        return (type(self), (self.message, self.hint))


class UsageError(VocmineError, ValueError):
    """A wrong option value or configuration (a ``ValueError``, so library callers catching that still do)."""

    exit_code = USAGE


class InputError(VocmineError, ValueError):
    """An input file that is missing or malformed, or data that does not hold what was asked for."""

    exit_code = INPUT


class RunFailed(VocmineError, RuntimeError):
    """A flow run that must show as failed: nothing could be read, or its report failed."""

    exit_code = RUN_FAILED


def describe_validation(e: ValidationError, root: str = "") -> str:
    """Pydantic's errors as ``where: what`` lines, without its URLs and input dumps (``root``: the file)."""
    parts = []
    for err in e.errors(include_url=False):
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        got = err.get("input")
        shown = (
            f" (got {got!r})" if isinstance(got, str | int | float) and "missing" not in err["type"] else ""
        )
        parts.append(f"{loc or root or 'value'}: {err['msg']}{shown}")
    return "; ".join(parts)
