"""Counts of injected faults and of answers checked while they were in effect.

Fault tests record each fault they inject and each answer the API gave under it, marking
the answers that were wrong instead of failing on the first one; every test then asserts
that its wrong count is zero. Each test has a tally of its own (the ``tally`` fixture), so
a wrong answer fails the test that got it and no other, and a test fails when it recorded
a wrong answer without asserting it (:mod:`tests.faults.tally_plugin`). The totals of all
tests go to ``artifacts/faults-summary.json`` and the terminal summary, for the
"Guarantees" page.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUMMARY_PATH = os.path.join(ROOT, "artifacts", "faults-summary.json")


@dataclass
class Kind:
    faults: int = 0
    answers: int = 0
    wrong: int = 0
    examples: list[str] = field(default_factory=list)


class Tally:
    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = defaultdict(Kind)
        self.notes: dict[str, Any] = {}

    def fault(self, kind: str, count: int = 1) -> None:
        self.kinds[kind].faults += count

    def answer(self, kind: str, ok: bool, detail: str = "") -> bool:
        entry = self.kinds[kind]
        entry.answers += 1
        if not ok:
            entry.wrong += 1
            if len(entry.examples) < 5:
                entry.examples.append(detail)
        return ok

    def assert_clean(self, kind: str) -> None:
        entry = self.kinds[kind]
        assert entry.wrong == 0, f"{entry.wrong} wrong answer(s) under {kind}: {entry.examples}"

    def assert_all_clean(self) -> None:
        wrong = {name: k.examples for name, k in sorted(self.kinds.items()) if k.wrong}
        assert not wrong, f"wrong answers recorded: {wrong}"

    def merge(self, other: Tally) -> None:
        """Add another (one test's) tally to this one."""
        for name, theirs in other.kinds.items():
            ours = self.kinds[name]
            ours.faults += theirs.faults
            ours.answers += theirs.answers
            ours.wrong += theirs.wrong
            ours.examples += theirs.examples[: max(0, 5 - len(ours.examples))]
        self.notes.update(other.notes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        """The tally that :meth:`as_dict` described (an xdist worker's, sent to the controller)."""
        tally = cls()
        for name, k in data["kinds"].items():
            tally.kinds[name] = Kind(
                k["faults_injected"],
                k["answers_checked"],
                k["wrong_answers"],
                list(k.get("wrong_examples", [])),
            )
        tally.notes.update(data.get("notes", {}))
        return tally

    def as_dict(self) -> dict[str, Any]:
        return {
            "kinds": {
                name: {
                    "faults_injected": k.faults,
                    "answers_checked": k.answers,
                    "wrong_answers": k.wrong,
                    **({"wrong_examples": k.examples} if k.examples else {}),
                }
                for name, k in sorted(self.kinds.items())
            },
            "totals": {
                "faults_injected": sum(k.faults for k in self.kinds.values()),
                "answers_checked": sum(k.answers for k in self.kinds.values()),
                "wrong_answers": sum(k.wrong for k in self.kinds.values()),
            },
            **({"notes": self.notes} if self.notes else {}),
        }

    def write(self) -> str:
        os.makedirs(os.path.dirname(SUMMARY_PATH), exist_ok=True)
        with open(SUMMARY_PATH, "w", encoding="utf-8") as fh:
            json.dump(self.as_dict(), fh, indent=2, sort_keys=False)
            fh.write("\n")
        return SUMMARY_PATH

    def lines(self) -> list[str]:
        out = [f"{'fault kind':<28}{'faults':>8}{'answers':>10}{'wrong':>8}"]
        for name, k in sorted(self.kinds.items()):
            out.append(f"{name:<28}{k.faults:>8}{k.answers:>10}{k.wrong:>8}")
        total = self.as_dict()["totals"]
        out.append(
            f"{'total':<28}{total['faults_injected']:>8}"
            f"{total['answers_checked']:>10}{total['wrong_answers']:>8}"
        )
        return out


#: The whole session's totals, for the summary; tests write to tallies of their own.
TALLY = Tally()
