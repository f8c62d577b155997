"""The model prompts, one file each, read once and checked.

`template(name)` is `prompts/<name>.md` as a `Template`: its `{field}`s are known, `fill`
refuses a missing or unknown field, and fills in one pass, so a value that itself holds
"{statement}" (article text may) is never substituted again.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent
_FIELD = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Template:
    name: str
    text: str

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(_FIELD.findall(self.text))

    def fill(self, **values: object) -> str:
        given = set(values)
        if given != self.fields:
            missing = ", ".join(sorted(self.fields - given)) or "none"
            unknown = ", ".join(sorted(given - self.fields)) or "none"
            raise ValueError(
                f"prompt {self.name!r}: missing fields: {missing}; unknown fields: {unknown}"
            )
        return _FIELD.sub(lambda m: str(values[m.group(1)]), self.text)


@functools.cache
def template(name: str) -> Template:
    """`prompts/<name>.md`, read on first use and kept."""
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt {name!r} not found: expected {path}")
    return Template(name, path.read_text(encoding="utf-8").strip())
