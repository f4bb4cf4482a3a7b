"""What the signed-in principal may do, asked by screens and commands (they import only services).

The authorisation matrix (``security/authz_matrix.yaml``) is the one source of rights; this module
hands its questions to the screens, so a screen never reaches into ``security`` and a change of
rule is made in one place.
"""

from __future__ import annotations

from kodomo_dash.security.matrix import AccessDenied as AccessDenied
from kodomo_dash.security.matrix import can as can
from kodomo_dash.security.matrix import require as require
