"""Who is asking: the signed-in principal every query and page check receives.

The principal is rebuilt from the user file and the session epoch on every rerun (never
cached across users), so a revoked right or a changed scope takes effect at once. It is
frozen so that no page can widen its own scope by mutating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The seven roles of decision 000, point 6, in the order the admin page lists them.
ROLES: tuple[str, ...] = ("admin", "manager", "yotaikyo", "ward_staff", "school", "ssw", "evaluator")

ROLE_LABELS_JA: dict[str, str] = {
    "admin": "システム管理者",
    "manager": "こども家庭課（管理者）",
    "yotaikyo": "要対協調整機関",
    "ward_staff": "区職員（自区のみ）",
    "school": "学校（自校のスクリーニングシートのみ）",
    "ssw": "スクールソーシャルワーカー（担当校）",
    "evaluator": "評価担当（集計・仮名化データのみ）",
}


class UnknownRole(ValueError):
    """A role name outside ROLES: refused rather than treated as the least privileged."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user as the library sees them.

    ward_codes and school_codes are the row scope (own ward, own or assigned schools);
    session_epoch ties the principal to the epoch it was issued under, so a password
    change or revoke (which bumps the epoch) ends it.
    """

    username: str
    role: str
    ward_codes: tuple[str, ...] = field(default_factory=tuple)
    school_codes: tuple[str, ...] = field(default_factory=tuple)
    display_name: str = ""
    session_epoch: int = 0

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UnknownRole(f"unknown role: {self.role!r}")
        # Accept lists from YAML but store tuples so the dataclass stays hashable/frozen.
        object.__setattr__(self, "ward_codes", tuple(str(c) for c in self.ward_codes))
        object.__setattr__(self, "school_codes", tuple(str(c) for c in self.school_codes))

    @property
    def role_label_ja(self) -> str:
        return ROLE_LABELS_JA[self.role]
