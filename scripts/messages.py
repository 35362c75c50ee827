"""The translation catalogs in django_rq_poll/locale and demo/locale: update, compile, check.

    python scripts/messages.py update    # re-extract every msgid into each language's .po
    python scripts/messages.py compile   # .po -> .mo (the wheel ships both)
    python scripts/messages.py check     # fail unless every catalog is complete and compiled

``check`` extracts the msgids from the sources afresh (Django's makemessages, in a
scratch copy of the package, then of the demo), then fails on any language whose .po
misses one, keeps one the sources no longer use, leaves one untranslated or fuzzy, or
whose .mo does not match its .po. Needs GNU gettext (xgettext, msgmerge, msgfmt), as
Django's commands do.
"""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "django_rq_poll"
# Each folder whose sources makemessages reads, with its catalogs in its locale/ folder:
# the package's, and the demo's own strings (the demo shows every language).
SOURCES = (PACKAGE, ROOT / "demo")
LOCALE = PACKAGE / "locale"
LANGUAGES = ("de", "es", "fr", "pt_BR")
MAKEMESSAGES = ("makemessages", "--no-obsolete", "--no-location")

Key = str | tuple[str, str]  # a msgid, or (msgid, msgid_plural)


def parse_po(path: Path) -> dict[Key, tuple[list[str], bool]]:
    """Each entry's translations and whether it is fuzzy (the header left out)."""
    entries: dict[Key, tuple[list[str], bool]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue  # an obsolete entry: "check" reports none are left (--no-obsolete)
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = ""
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        msgid = fields.get("msgid", "")
        if not msgid:
            continue  # the header
        if "msgid_plural" in fields:
            key: Key = (msgid, fields["msgid_plural"])
            strings = [v for k, v in sorted(fields.items()) if k.startswith("msgstr[")]
        else:
            key, strings = msgid, [fields.get("msgstr", "")]
        entries[key] = (strings, fuzzy)
    return entries


def django_admin(*args: str, cwd: Path) -> None:
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        # -P: the package folder must not shadow the standard library (its html.py).
        [sys.executable, "-P", "-m", "django", *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def extracted(source: Path) -> set[Key]:
    """Every msgid the sources use today, extracted in a scratch copy of ``source``."""
    with tempfile.TemporaryDirectory(prefix="rq-poll-messages-") as scratch:
        copy = Path(scratch) / source.name
        ignore = shutil.ignore_patterns("locale", "__pycache__", "*.sqlite3")
        shutil.copytree(source, copy, ignore=ignore)
        (copy / "locale").mkdir()
        django_admin(*MAKEMESSAGES, "-l", "en", cwd=copy)
        return set(parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))


def compiled_matches(po: Path) -> bool:
    """Whether the .mo beside ``po`` holds exactly what msgfmt makes of ``po`` now."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return False
    with tempfile.TemporaryDirectory(prefix="rq-poll-messages-") as scratch:
        fresh = Path(scratch) / "django.mo"
        subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
        with fresh.open("rb") as new, mo.open("rb") as old:
            return _catalog(new) == _catalog(old)


def _catalog(mo: BinaryIO) -> dict[Any, str]:
    # GNUTranslations keeps what it read in _catalog: the one way to compare two .mo files
    # by content (msgfmt's byte layout may differ between gettext versions).
    return dict(gettext.GNUTranslations(mo)._catalog)  # type: ignore[attr-defined]


def check() -> int:
    problems = []
    counts = []
    for source in SOURCES:
        wanted = extracted(source)
        counts.append(f"{len(wanted)} in {source.name}")
        problems += check_catalogs(source / "locale", wanted)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            "Run `python scripts/messages.py update`, translate the new entries, then "
            "`python scripts/messages.py compile`.",
            file=sys.stderr,
        )
        return 1
    print(f"Catalogs complete: messages {', '.join(counts)}; in {', '.join(LANGUAGES)}.")
    return 0


def check_catalogs(locale: Path, wanted: set[Key]) -> list[str]:
    problems = []
    for language in LANGUAGES:
        po = locale / language / "LC_MESSAGES" / "django.po"
        name = f"{po.relative_to(ROOT)}"
        if not po.exists():
            problems.append(f"{language}: no catalog at {name}")
            continue
        entries = parse_po(po)
        for key in sorted(wanted - set(entries), key=str):
            problems.append(f"{name}: missing {key!r}")
        for key in sorted(set(entries) - wanted, key=str):
            problems.append(f"{name}: no longer used {key!r}")
        for key, (strings, fuzzy) in sorted(entries.items(), key=lambda item: str(item[0])):
            if fuzzy or not strings or not all(strings):
                problems.append(f"{name}: {'fuzzy' if fuzzy else 'untranslated'} {key!r}")
        if not compiled_matches(po):
            problems.append(f"{name}: django.mo is missing or older than django.po")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        languages = [arg for language in LANGUAGES for arg in ("-l", language)]
        for source in SOURCES:
            django_admin(*MAKEMESSAGES, *languages, cwd=source)
        return 0
    if command == "compile":
        for source in SOURCES:
            django_admin("compilemessages", cwd=source)
        return 0
    if command == "check":
        return check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
