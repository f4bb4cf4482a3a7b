"""The one error type screening raises for anything a person can fix.

Pages show `str(error)` as-is, so every message is Japanese and says what to change;
`code` lets tests and callers tell the cases apart without parsing the text.
"""

from __future__ import annotations


class ScreeningError(ValueError):
    """Bad input to screening (parameters, rule sets, cohorts, model files); nothing was written."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code
