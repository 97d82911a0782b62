"""What an audit check found: where, and what is wrong there."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One failure, located: ``where`` names an event store row, a Kafka record
    (``topic[partition]@offset``) or a checkpoint; ``what`` says what is wrong."""

    check: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class CheckResult:
    name: str
    description: str
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def fail(self, where: str, what: str) -> None:
        self.findings.append(Finding(self.name, where, what))

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "description": self.description,
            "ok": self.ok,
            "checked": self.checked,
            "notes": self.notes,
            "findings": [{"where": f.where, "what": f.what} for f in self.findings],
        }


def differences(left: Any, right: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Paths (``payload.value``) where two JSON values differ, with both values."""
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[tuple[str, Any, Any]] = []
        for key in sorted(set(left) | set(right), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in left:
                found.append((sub, "(absent)", right[key]))
            elif key not in right:
                found.append((sub, left[key], "(absent)"))
            else:
                found.extend(differences(left[key], right[key], sub))
        return found
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        found = []
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            found.extend(differences(a, b, f"{path}[{i}]"))
        return found
    if left != right or type(left) is not type(right):
        return [(path or "(whole)", left, right)]
    return []


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
