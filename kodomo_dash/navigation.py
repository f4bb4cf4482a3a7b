"""Every screen of the product, in menu order, with the section it sits in.

A screen is listed here once, by its stable key (URL path, title key ``page.<key>``, and the
page name in the authorisation matrix). A screen whose file does not exist yet is left out,
so capabilities can add their pages without touching this list again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kodomo_dash.db import REPO_ROOT


@dataclass(frozen=True)
class PageSpec:
    key: str
    icon: str
    section: str
    default: bool = False

    @property
    def path(self) -> str:
        return f"screens/{self.key}.py"


ALL_PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", ":material/home:", "overview", default=True),
    PageSpec("data_quality", ":material/fact_check:", "overview"),
    PageSpec("child_search", ":material/search:", "children"),
    PageSpec("child_card", ":material/badge:", "children"),
    PageSpec("linkage_review", ":material/join:", "children"),
    PageSpec("screening", ":material/filter_alt:", "screening"),
    PageSpec("rules", ":material/tune:", "screening"),
    PageSpec("model_card", ":material/analytics:", "screening"),
    PageSpec("funnel", ":material/filter_list:", "support"),
    PageSpec("worklist", ":material/checklist:", "support"),
    PageSpec("support_record", ":material/edit_note:", "support"),
    PageSpec("progress", ":material/donut_large:", "support"),
    PageSpec("forms_conference", ":material/groups:", "support"),
    PageSpec("forms_home_visit", ":material/home_health:", "support"),
    PageSpec("forms_school_sheet", ":material/school:", "support"),
    PageSpec("forms_ssw_sheet", ":material/record_voice_over:", "support"),
    PageSpec("outcomes", ":material/insights:", "evaluation"),
    PageSpec("presentation", ":material/slideshow:", "evaluation"),
    PageSpec("audit_log", ":material/history:", "admin"),
    PageSpec("privacy_checklist", ":material/verified_user:", "admin"),
    PageSpec("admin_users", ":material/manage_accounts:", "admin"),
)


def existing_pages(root: Path = REPO_ROOT) -> tuple[PageSpec, ...]:
    return tuple(p for p in ALL_PAGES if (root / p.path).exists())
