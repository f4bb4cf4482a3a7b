"""The one error type screening raises for anything a person can fix.

Raised with a :class:`~kodomo_dash.config.messages.Message` (texts in ``screening/errors.yaml``),
so a page words it in the viewer's language through ``ui.i18n.error_text``; ``str(error)`` is the
Japanese (decision 065). ``code`` lets tests and callers tell the cases apart without parsing the
text.
"""

from __future__ import annotations

from typing import Any

from kodomo_dash.config.messages import CodedError


class ScreeningError(CodedError, ValueError):
    """Bad input to screening (parameters, rule sets, cohorts, model files); nothing was written."""

    def __init__(self, message: Any, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code
