"""Open the real app.py under AppTest as a signed-in user of a given role.

The one copy lives in ``kodomo_dash.testing.apptest`` (``kodomo bench`` times the pages through
the same gate); this module re-exports it so the page tests keep their import.
"""

from __future__ import annotations

from kodomo_dash.testing.apptest import (
    APP,
    DEFAULT_SCHOOLS,
    DEFAULT_WARDS,
    app_as,
    new_app,
    principal_for,
    users_file,
)

__all__ = ["APP", "DEFAULT_SCHOOLS", "DEFAULT_WARDS", "app_as", "new_app", "principal_for", "users_file"]
