"""Which facts of a monthly build alert the staff watching a child, and for how long (decision 067).

Rules are data (``config/alerts.yaml``, overlaid by the city's ``alerts.yaml``), not code: a city
decides what matters and when an alert is no longer a current risk. A broken rule is refused with a
Japanese message naming the rule, never half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from kodomo_dash.config.settings import city_settings


class AlertConfigError(ValueError):
    """A rule in alerts.yaml that cannot be used; the message names it (Japanese / English)."""


@dataclass(frozen=True)
class AlertRule:
    kind: str
    label_ja: str
    label_en: str
    expires_days: int
    min_value: float | None = None

    def label(self, lang: str = "ja") -> str:
        return self.label_en if lang == "en" else self.label_ja


def screening_flag_days() -> int:
    """How long a screening result stays a current flag (days after its build's as-of)."""
    spec = city_settings("alerts").get("screening_flag") or {}
    try:
        days = int(spec["expires_days"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AlertConfigError("alerts.yaml の screening_flag に expires_days（日数）が必要です。"
                               f" / screening_flag needs expires_days ({exc})") from exc  # fmt: skip
    if days <= 0:
        raise AlertConfigError("alerts.yaml の screening_flag の expires_days は1以上にしてください。"
                               " / screening_flag: expires_days must be 1 or more")  # fmt: skip
    return days


def alert_rules() -> dict[str, AlertRule]:
    """The rules in force, by kind (the city's file wins kind by kind; ``null`` removes a rule)."""
    raw = city_settings("alerts", deep=("rules",)).get("rules") or {}
    rules: dict[str, AlertRule] = {}
    for kind, spec in raw.items():
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise AlertConfigError(f"alerts.yaml の規則「{kind}」が読めません。 / rule {kind!r} is not a mapping")
        try:
            days = int(spec["expires_days"])
            minimum = None if spec.get("min_value") is None else float(spec["min_value"])
            rule = AlertRule(str(kind), str(spec["label_ja"]), str(spec.get("label_en") or spec["label_ja"]), days,
                             minimum)  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise AlertConfigError(
                f"alerts.yaml の規則「{kind}」に label_ja と expires_days（日数）が必要です。"
                f" / rule {kind!r} needs label_ja and expires_days ({exc})"
            ) from exc
        if days <= 0:
            raise AlertConfigError(f"alerts.yaml の規則「{kind}」の expires_days は1以上にしてください。"
                                   f" / rule {kind!r}: expires_days must be 1 or more")  # fmt: skip
        rules[rule.kind] = rule
    return rules
