"""Finding the Japanese font the exports embed or name.

Why Noto Sans CJK JP: the README's set-up installs Debian's ``fonts-noto-cjk``, it covers every
kanji a city report uses, and PowerPoint on a city PC falls back cleanly when it lacks it (the
PPTX names the family; the PDF embeds a subset, so the PDF looks the same everywhere).

The package ships the font as TrueType Collections (``NotoSansCJK-Regular.ttc``) holding the
JP, KR, SC, TC and HK faces. fpdf2 reads a face from a collection by its number, so the number
of the *JP* face is looked up by name with fontTools rather than assumed to be 0 — the JP
face matters: the same code point is drawn differently in Japanese and Chinese.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FONT_FAMILY = "Noto Sans CJK JP"
ENV_FONT = "KODOMO_CJK_FONT"  # a font file with the JP face (regular); bold is looked up beside it
_KNOWN = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/local/share/fonts"),
)


class FontMissing(RuntimeError):
    """No Japanese font on this machine: exports would print boxes (tofu) instead of text."""

    def __init__(self) -> None:
        super().__init__(
            "日本語フォント（Noto Sans CJK JP）が見つかりません。README の手順どおり"
            " `apt-get install fonts-noto-cjk` を実行してください。 / Noto Sans CJK JP not found:"
            " install fonts-noto-cjk."
        )


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int
    family: str
    bold: bool


def _fc_list() -> list[Path]:
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}\n", f"{FONT_FAMILY}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [Path(line) for line in dict.fromkeys(out.splitlines()) if line]


def _jp_index(path: Path) -> int | None:
    """The number of the JP face in a collection (0 for a single font that is the JP face)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.suffix.lower() == ".ttc":
            fonts = TTCollection(str(path), lazy=True).fonts
        else:
            fonts = [TTFont(str(path), lazy=True)]
    except Exception:
        return None
    for i, f in enumerate(fonts):
        if f["name"].getDebugName(1) == FONT_FAMILY:
            return i
    return None


@lru_cache(maxsize=4)
def find_cjk_font(bold: bool = False) -> FontFace:
    """The regular (or bold) JP face: from ``KODOMO_CJK_FONT``, fontconfig, or the usual folders."""
    want = "Bold" if bold else "Regular"
    candidates: list[Path] = []
    env = os.environ.get(ENV_FONT)
    if env:
        p = Path(env)
        candidates.append(p.with_name(p.name.replace("Regular", "Bold")) if bold else p)
    candidates += [p for p in _fc_list() if want in p.name and "Serif" not in p.name and "Mono" not in p.name]
    for folder in _KNOWN:
        candidates += sorted(folder.glob(f"NotoSansCJK*-{want}.tt[cf]")) + sorted(
            folder.glob(f"NotoSansCJKjp-{want}.otf")
        )
    for path in dict.fromkeys(candidates):
        if path.is_file():
            idx = _jp_index(path)
            if idx is not None:
                return FontFace(path=path, index=idx, family=FONT_FAMILY, bold=bold)
    if bold:  # a regular face drawn without bold is better than no export
        regular = find_cjk_font(False)
        return FontFace(regular.path, regular.index, regular.family, False)
    raise FontMissing()
