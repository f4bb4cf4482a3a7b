"""How a `kodomo` command words a refusal: the Japanese, then the English on the next line.

The library's refusals carry a coded message (``.message``, decision 065) that words itself in either
language; the command line has no language toggle, so it prints both, Japanese first (the product is
Japanese first). A refusal that is still a plain string is printed as it is.
"""

from __future__ import annotations

INDENT = "  "


def refusal(error: object, ja: str = "{}", en: str = "{}") -> str:
    """``error``'s message in Japanese and, when it is coded, in English on an indented second line.

    ``ja`` and ``en`` frame the message in each language (``"抽出できません: {}"``). ``error`` is an
    exception or a message itself.
    """
    message = getattr(error, "message", error)
    words = getattr(message, "text", None)
    if not callable(words):
        return ja.format(str(error))
    first, second = ja.format(words("ja")), en.format(words("en"))
    return first if first == second else f"{first}\n{INDENT}{second}"
