"""Running an analysis again after its inputs changed (what a model's save() does)."""

import django_rq_poll as poll
from django_rq_poll.compat import madrona
from porting.tasks import prioritize


def rerun_with_begin_process(url, units):
    # Always a new job; the URL points at it at once. Simplest for save(): the last save
    # wins, even while an older run is still going (its result is never shown).
    return poll.begin_process(prioritize, (units,), polling_url=url)


def rerun_with_forget_process(url, units):
    # Forget the finished result, then start unless a job is queued or running: any number
    # of simultaneous saves start one job. Passing the finished job's id makes the forget
    # a compare-and-delete, so a racer's new job is never forgotten. A run already going
    # is kept, and its result (from the inputs it started with) is what the URL shows.
    seen = poll.get_process_snapshot(url)
    if seen is not None and seen.state is poll.State.COMPLETE:
        poll.forget_process(url, seen.task_id)
    return poll.check_status_or_begin(prioritize, (units,), polling_url=url).task_id


def rerun_with_madronas_api(url, units):
    # madrona's check_status_or_begin runs finished work again, as it always did, and
    # replaces a job still queued with one for the new inputs (one still running is kept).
    _status_html, task_id = madrona.check_status_or_begin(prioritize, (units,), polling_url=url)
    return task_id
