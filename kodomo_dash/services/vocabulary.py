"""The workflow codes and labels the screens offer as choices (defined once in casework.vocabulary).

Screens import only services (docs/architecture.md); this is their door to the vocabulary, so a
code or a label is still written in exactly one place.
"""

from __future__ import annotations

from kodomo_dash.casework.vocabulary import APPROACH_DECISIONS as APPROACH_DECISIONS
from kodomo_dash.casework.vocabulary import APPROACH_REASONS as APPROACH_REASONS
from kodomo_dash.casework.vocabulary import CONFERENCE_DECISIONS as CONFERENCE_DECISIONS
from kodomo_dash.casework.vocabulary import CONFERENCE_REASONS as CONFERENCE_REASONS
from kodomo_dash.casework.vocabulary import DEPARTMENTS as DEPARTMENTS
from kodomo_dash.casework.vocabulary import SCHOOL_DECISIONS as SCHOOL_DECISIONS
from kodomo_dash.casework.vocabulary import SCHOOL_REASONS as SCHOOL_REASONS
from kodomo_dash.casework.vocabulary import SECONDARY_DECISIONS as SECONDARY_DECISIONS
from kodomo_dash.casework.vocabulary import SECONDARY_REASONS as SECONDARY_REASONS
