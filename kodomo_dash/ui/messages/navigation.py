"""Titles of every screen (page.<key>, from config/pages.yaml) and the menu sections (nav.<section>)."""

from kodomo_dash.config.pages import pages

MESSAGES = {f"page.{p.key}": dict(p.title) for p in pages()}

MESSAGES |= {
    "nav.overview": {"ja": "概要", "en": "Overview"},
    "nav.children": {"ja": "こども", "en": "Children"},
    "nav.screening": {"ja": "スクリーニング", "en": "Screening"},
    "nav.support": {"ja": "支援", "en": "Support"},
    "nav.evaluation": {"ja": "評価・報告", "en": "Evaluation"},
    "nav.admin": {"ja": "管理", "en": "Administration"},
}
