"""Sum up a mutation run: `make mutate` writes `mutmut results --all true` to a file.

Prints the score per module and in all, and every surviving mutant that
``scripts/accepted_mutants.txt`` does not explain; exits 1 when there is one. The score
is killed / (killed + survived); "without equivalent" sets aside the survivors that
accepted_mutants.txt calls equivalent (no test can kill them); wording, races, known
gaps and the rest still count against it. A mutant that timed
out counts as killed (the tests noticed), one that no selected test reaches is reported
apart ("not reached"), and so is one that the run never tried ("not run": a run stopped
early, or run module by module).

Usage: python scripts/mutation_score.py artifacts/mutants.txt
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

ACCEPTED = Path(__file__).with_name("accepted_mutants.txt")
KILLED = {"killed", "timeout", "caught by type check"}


def accepted() -> dict[str, str]:
    """``mutant name`` -> the reason it may survive, from accepted_mutants.txt."""
    reasons: dict[str, str] = {}
    for line in ACCEPTED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition(" ")
            reasons[name] = why.strip()
    return reasons


def main(path: str) -> int:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    reasons = accepted()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep:
            continue
        module = name.split(".x_", 1)[0].split(".xǁ", 1)[0]
        kind = "killed" if status in KILLED else status
        kind = "not run" if kind == "not checked" else kind
        by_module[module][kind] += 1
        if status == "survived":
            survivors.append(name)
            if reasons.get(name, "").startswith("equivalent"):
                by_module[module]["equivalent"] += 1
    total: Counter[str] = Counter()
    print(
        f"{'module':<32}{'killed':>8}{'survived':>10}{'not reached':>13}{'not run':>9}"
        f"{'score':>8}{'without equivalent':>20}"
    )
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(_row(module, counts))
    print(_row("all", total))
    shown = ("killed", "survived", "no tests", "not run", "equivalent")
    other = {k: v for k, v in total.items() if k not in shown}
    if other:
        print(f"other outcomes: {dict(other)}")
    unexplained = [name for name in survivors if name not in reasons]
    print(
        f"survivors: {len(survivors)}, explained in {ACCEPTED.name}: "
        f"{len(survivors) - len(unexplained)}"
    )
    for name in unexplained:
        print(f"  unexplained: {name}  (mutmut show {name})")
    return 1 if unexplained else 0


def _row(label: str, counts: Counter[str]) -> str:
    judged = counts["killed"] + counts["survived"]
    score = f"{100 * counts['killed'] / judged:.1f}%" if judged else "-"
    beyond = judged - counts["equivalent"]
    net = f"{100 * counts['killed'] / beyond:.1f}%" if beyond else "-"
    return (
        f"{label:<32}{counts['killed']:>8}{counts['survived']:>10}"
        f"{counts['no tests']:>13}{counts['not run']:>9}{score:>8}{net:>20}"
    )


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
