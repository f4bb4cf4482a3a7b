"""The refusals a screen or a command shows to its user, in one place (they import only services).

Each is raised by the layer that knows why (a stage rule, a screening run, the user file); the
message is already the user's, in Japanese, naming the field, file or line.
"""

from __future__ import annotations

from kodomo_dash.casework.store import CaseworkError as CaseworkError
from kodomo_dash.casework.visit_plan import VisitPlanError as VisitPlanError
from kodomo_dash.screening.errors import ScreeningError as ScreeningError
from kodomo_dash.security.users import UserFileError as UserFileError
