"""The two ways the app talks to jobs: madrona's API (compat) and the main API.

Each port has ``run(scenario)`` (called from ``save()``) and ``progress(scenario)`` (the
JSON the progress view answers: ``done``, ``error``, ``status``, ``result``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .analysis import prioritize


class CompatPort:
    """madrona-priorities' code, with only the import changed."""

    def run(self, scenario) -> str:
        from django_rq_poll.compat.madrona import check_status_or_begin

        _status_html, task_id = check_status_or_begin(
            prioritize, task_args=(scenario.inputs,), polling_url=scenario.get_absolute_url()
        )
        return task_id

    def progress(self, scenario) -> dict[str, Any]:
        from django_rq_poll.compat.madrona import get_process_result, get_process_status

        url = scenario.get_absolute_url()
        status = get_process_status(url)
        if status == "SUCCESS":
            scenario.keep_result(get_process_result(url))
        if scenario.result is not None:
            return {"done": True, "error": None, "status": "SUCCESS", "result": scenario.result}
        if status in ("FAILURE", "REVOKED"):
            error = get_process_result(url)  # an exception instance, as Celery gave it
            return {"done": True, "error": str(error), "status": status, "result": None}
        if status is None:  # never started, or forgotten: start it again
            self.run(scenario)
            status = "PENDING"
        return {"done": False, "error": None, "status": status, "result": None}


class MainPort:
    """The same app on the main API: begin_process on save, one snapshot per poll."""

    def run(self, scenario) -> str:
        from django_rq_poll import begin_process

        url = scenario.get_absolute_url()
        return begin_process(prioritize, (scenario.inputs,), polling_url=url)

    def progress(self, scenario) -> dict[str, Any]:
        from django_rq_poll import State, get_process_snapshot

        url = scenario.get_absolute_url()
        snap = get_process_snapshot(url, result=True)
        if snap is not None and snap.state is State.COMPLETE:
            scenario.keep_result(snap.return_value)
        if scenario.result is not None:
            return {"done": True, "error": None, "status": "complete", "result": scenario.result}
        if snap is not None and snap.state in (State.FAILED, State.CANCELED):
            error = (snap.error or "").strip().splitlines()[-1:] or ["canceled"]
            return {"done": True, "error": error[0], "status": snap.state, "result": None}
        if snap is None:
            self.run(scenario)
            return {"done": False, "error": None, "status": State.PENDING, "result": None}
        return {"done": False, "error": None, "status": snap.state, "result": None}


PORTS = {"compat": CompatPort, "main": MainPort}


def port() -> CompatPort | MainPort:
    return PORTS[getattr(settings, "MADRONA_APP_PORT", "compat")]()
