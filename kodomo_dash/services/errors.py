"""The refusals a screen or a command shows to its user, in one place (they import only services).

Each is raised by the layer that knows why (a stage rule, a screening run, the user file, the
matrix, a key); the message is already the user's, in Japanese, naming the field, file or line.
The definitions stay where they are raised; only :class:`OutOfScope`, :class:`Unavailable` and
:class:`KeyRotationFailed` are the services' own.
"""

from __future__ import annotations

from kodomo_dash.casework.store import CaseworkError as CaseworkError
from kodomo_dash.casework.store import NotFoundError as NotFoundError
from kodomo_dash.casework.visit_plan import VisitPlanError as VisitPlanError
from kodomo_dash.config.messages import CodedError
from kodomo_dash.infra.db import WarehouseMissing as WarehouseMissing
from kodomo_dash.infra.encryption import EncryptionError as EncryptionError
from kodomo_dash.infra.encryption import KeyMissing as KeyMissing
from kodomo_dash.infra.transaction import SaveRefused as SaveRefused
from kodomo_dash.screening.errors import ScreeningError as ScreeningError
from kodomo_dash.security.audit import AuditTampered as AuditTampered
from kodomo_dash.security.matrix import AccessDenied as AccessDenied
from kodomo_dash.security.users import UserFileError as UserFileError


class OutOfScope(CodedError, PermissionError):
    """A ward, school, child or form outside the viewer's row scope (the matrix allowed the page itself)."""


class Unavailable(LookupError):
    """What an operator's chore needs is not there yet (no casework file, no audit trail, no file to
    re-encrypt): nothing was changed, and the message says what is missing and where."""


class KeyRotationFailed(RuntimeError):
    """Re-encrypting a database file failed for a reason other than a key problem (a wrong old key
    surfaces as a DuckDB error); the original file is untouched and the message never holds a key."""
