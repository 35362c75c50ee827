"""``manage.py rqpoll``: look at, forget and clean up polling URLs from a terminal."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ... import api
from ...conf import conf
from ...core import keys, writes
from ...core.states import State
from ...drivers.backends import backend
from ...exceptions import ProcessFailed, RQPollError
from ...ops import acl, doctor, inventory
from ...ops.inventory import Process

_RESULT_CHARS = 300
_STATUSES = ("ok", "warning", "problem", "unknown")


class Command(BaseCommand):
    help = (
        "Inspect the polling URLs of django-rq-poll: list them with their jobs and states, "
        "show or forget one (by polling URL or job id), or remove mappings whose jobs are gone."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        as_json = ArgumentParser(add_help=False)
        as_json.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        listing = actions.add_parser(
            "list", parents=[as_json], help="Polling URLs with their job ids and states."
        )
        listing.add_argument(
            "--state",
            choices=[*(s.value for s in State), "gone"],
            help="Only processes in this state.",
        )
        for name, what in (
            ("show", "Everything known about one process."),
            ("forget", "Drop a URL's mapping and its finished job's cached result."),
        ):
            sub = actions.add_parser(name, parents=[as_json], help=what)
            sub.add_argument("reference", help="A polling URL or a job id.")
        cleanup = actions.add_parser(
            "cleanup", parents=[as_json], help="Remove mappings whose jobs are gone."
        )
        cleanup.add_argument(
            "--dry-run", action="store_true", help="Count them, but remove nothing."
        )
        doctor = actions.add_parser(
            "doctor",
            parents=[as_json],
            help="Check the live Redis and workers against the deployment docs: version, "
            "eviction policy, ACL permissions, scripts, workers and serializers. Exits 1 "
            "on a problem.",
        )
        doctor.add_argument(
            "--probe",
            type=float,
            metavar="SECONDS",
            help="Also run a test job on each queue that has workers, waiting this long: "
            "the one way to prove a worker's serializer matches its queue's.",
        )
        doctor.add_argument(
            "--acl",
            action="store_true",
            help="Only print the ACL SETUSER line a site's Redis user needs, for RQ_POLL's PREFIX.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            handler = getattr(self, f"do_{action}")
            handler(options)
        except RQPollError as exc:
            raise CommandError(str(exc)) from exc

    # -- subcommands -------------------------------------------------------------
    def do_list(self, options: dict[str, Any]) -> None:
        rows = inventory.processes()
        wanted = options.get("state")
        if wanted:
            rows = [p for p in rows if _state_name(p) == wanted]
        if options["json"]:
            self._json([p.as_dict() for p in rows])
            return
        if not rows:
            self.stdout.write("No polling URLs." if not wanted else f"No {wanted} processes.")
            return
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"{'STATE':<9} {'PROGRESS':<8} {'JOB ID':<32} URL")
        )
        for p in rows:
            url = (
                printable(p.url) if p.url is not None else "(job gone: `rqpoll cleanup` removes it)"
            )
            line = f"{_state_name(p):<9} {_percent(p):<8} {p.task_id:<32} {url}"
            self.stdout.write(self._styled(p, line))
        self.stdout.write(_summary(rows))

    def do_show(self, options: dict[str, Any]) -> None:
        process = self._find(options["reference"])
        result, error = _outcome(process)
        if options["json"]:
            self._json({**process.as_dict(), "result": _jsonable(result), "error": error})
            return
        fields = [
            ("URL", process.url or "(none in the job's meta)"),
            ("Job id", process.task_id),
            ("State", _state_line(process)),
            ("Queue", process.queue or "?"),
            ("Progress", _progress_line(process)),
            ("Owner", "" if process.owner is None else str(process.owner)),
            ("Enqueued", _when(process.enqueued_at)),
            ("Ended", _when(process.ended_at)),
        ]
        if process.state is State.COMPLETE:
            fields.append(("Result", _short(repr(result))))
        if error is not None:
            fields.append(("Error", error.strip()))
        for label, value in fields:
            if value:
                self.stdout.write(f"{label + ':':<10} {printable(value, lines=label == 'Error')}")

    def do_forget(self, options: dict[str, Any]) -> None:
        reference = options["reference"]
        process = inventory.find(reference)
        if process is None:
            self._forget_orphan(reference, options["json"])
            return
        forgot = api.forget_process(polling_url=process.url, task_id=process.task_id)
        still_running = process.state is not None and process.state.in_progress
        if options["json"]:
            self._json({**process.as_dict(), "forgot": forgot, "job_left_running": still_running})
            return
        name = printable(process.url or process.task_id)
        if not forgot:
            self.stdout.write(f"Nothing to forget for {name}: the mapping had already moved on.")
        elif still_running:
            self.stdout.write(
                f"Forgot {name}: its mapping is gone, but job {process.task_id} is "
                f"{process.state} and keeps running; its result will not be served for the URL."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Forgot {name}: mapping and job {process.task_id} ({process.state}) removed."
                )
            )

    def do_cleanup(self, options: dict[str, Any]) -> None:
        dry_run = options["dry_run"]
        removed, checked = inventory.remove_orphans(dry_run=dry_run)
        if options["json"]:
            self._json({"removed": removed, "checked": checked, "dry_run": dry_run})
            return
        verb = "Would remove" if dry_run else "Removed"
        noun = "mapping" if removed == 1 else "mappings"
        self.stdout.write(f"{verb} {removed} {noun} whose jobs are gone (of {checked} checked).")

    def do_doctor(self, options: dict[str, Any]) -> None:
        if options["acl"]:
            self.stdout.write(acl.setuser_line(conf.PREFIX))
            return
        findings = doctor.examine(probe=options.get("probe"))
        problems = [f for f in findings if f.status == "problem"]
        if options["json"]:
            self._json({"ok": not problems, "findings": [f.as_dict() for f in findings]})
        else:
            for finding in findings:
                where = f"[{finding.queue}] " if finding.queue else ""
                line = f"{finding.status.upper():<8} {finding.check:<10} {where}{finding.message}"
                self.stdout.write(self._finding_style(finding.status)(line))
            counts = {s: sum(f.status == s for f in findings) for s in _STATUSES}
            self.stdout.write(", ".join(_counted(n, s) for s, n in counts.items() if n) + ".")
        if problems:
            noun = "problem" if len(problems) == 1 else "problems"
            raise CommandError(f"rqpoll doctor found {len(problems)} {noun}.", returncode=1)

    def _finding_style(self, status: str) -> Any:
        return {
            "ok": self.style.SUCCESS,
            "warning": self.style.WARNING,
            "problem": self.style.ERROR,
        }.get(status, str)

    # -- helpers -----------------------------------------------------------------
    def _find(self, reference: str) -> Process:
        process = inventory.find(reference)
        if process is None:
            raise CommandError(
                f"No process is known for {reference!r}: it is neither the id of an existing "
                "job nor a polling URL whose job still exists."
            )
        return process

    def _forget_orphan(self, reference: str, as_json: bool) -> None:
        stale = inventory.orphan_keys(reference) if keys.is_valid_job_id(reference) else []
        home = backend()
        removed = sum(home.run(writes.forget_mapping(key, reference)) for key in stale)
        if not removed:
            self._find(reference)  # raises the "unknown" error
        if as_json:
            self._json({"task_id": reference, "state": "gone", "forgot": True})
        else:
            self.stdout.write(f"Removed {removed} mapping(s) pointing at gone job {reference}.")

    def _json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, default=str))

    def _styled(self, process: Process, line: str) -> str:
        if process.gone or process.state in (State.FAILED, State.CANCELED):
            return str(self.style.ERROR(line))
        if process.state is State.COMPLETE:
            return str(self.style.SUCCESS(line))
        return line


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every unprintable character escaped (``\\x1b``, ``\\u202e``).

    Job error texts, progress messages and URLs come from tasks and visitors: printed
    raw, an escape sequence in them would drive the operator's terminal (move the
    cursor, rewrite lines, set the window title). ``lines`` keeps newlines and tabs.
    """
    if text.isprintable():
        return text
    return "".join(_escaped(char, lines) for char in text)


def _escaped(char: str, lines: bool) -> str:
    if lines and char in "\n\t":
        return char
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _state_name(process: Process) -> str:
    return process.state.value if process.state is not None else "gone"


def _state_line(process: Process) -> str:
    text = f"{_state_name(process)} (rq status: {process.rq_status})"
    if process.abandoned:
        text += ", abandoned: its worker stopped sending heartbeats"
    return text


def _percent(process: Process) -> str:
    percent = process.progress.percent if process.progress is not None else None
    return f"{percent}%" if percent is not None else ""


def _progress_line(process: Process) -> str:
    progress = process.progress
    if progress is None:
        return ""
    amount = f"{progress.current:g}" + (f" of {progress.total:g}" if progress.total else "")
    if progress.percent is not None:
        amount += f" ({progress.percent}%)"
    return f"{amount} {progress.message}".strip()


def _when(moment: Any) -> str:
    return moment.isoformat(sep=" ", timespec="seconds") if moment is not None else ""


def _short(text: str) -> str:
    return text if len(text) <= _RESULT_CHARS else text[: _RESULT_CHARS - 1] + "…"


def _outcome(process: Process) -> tuple[Any, str | None]:
    """The result of a finished job, or the error text of a failed one."""
    if process.state not in (State.COMPLETE, State.FAILED):
        return None, None
    try:
        return api.get_process_result(task_id=process.task_id), None
    except ProcessFailed as exc:
        return None, exc.error


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _summary(rows: list[Process]) -> str:
    counts: dict[str, int] = {}
    for p in rows:
        counts[_state_name(p)] = counts.get(_state_name(p), 0) + 1
    parts = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    noun = "polling URL" if len(rows) == 1 else "polling URLs"
    return f"{len(rows)} {noun} ({parts})."


def _counted(number: int, status: str) -> str:
    """ "1 problem", "2 problems", "3 ok", "1 unknown"."""
    plural = number != 1 and status in ("warning", "problem")
    return f"{number} {status}{'s' if plural else ''}"
