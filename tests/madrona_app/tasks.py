"""A Celery-style task module, as forestplanner's trees/tasks.py was written: only its
import changed (``from celery.task import task`` before)."""

from __future__ import annotations

from django_rq_poll.compat.madrona import current_task, task

from .analysis import StudyRegionError

#: The rasters this "study region" has; any other is not found.
RASTERS = {"elevation": 812.5, "slope": 14.0}


@task
def impute(stand_id: int, raster: str) -> float | None:
    impute.update_state(state="PROGRESS", meta={"current": 1, "total": 3})
    if raster not in RASTERS:
        impute.update_state(state="RASTERNOTFOUND")  # a custom state, as trees set it
        return None
    impute.update_state(state="PROGRESS", meta={"current": 2, "total": 3})
    if stand_id < 0:
        raise StudyRegionError(f"stand {stand_id} is outside the study region")
    return RASTERS[raster]


@task(queue="default", ignore_result=False)
def add(x: int, y: int) -> int:
    return x + y


@task()
def meddle(other_task_id: str) -> None:
    """Celery let a task update another's state; progress is the running job's own."""
    meddle.update_state(task_id=other_task_id, state="PROGRESS", meta={"current": 1})


@task(queue="other", max_retries=3)
def echo_elsewhere(value: object) -> object:
    return value


@task(bind=True)
def harvest(self, stand_id: int) -> dict[str, object]:
    """forestplanner's bound tasks: ``self.update_state`` and ``self.request.id``."""
    self.update_state(state="PROGRESS", meta={"current": 50})
    return {"stand": stand_id, "id": self.request.id, "name": self.name}


@task
def schedule_harvest(stand_id: int) -> str | None:
    """forestplanner's ``schedule_harvest``: ``current_task`` from celery, a progress."""
    current_task.update_state(state="PROGRESS", meta={"current": 3, "total": 4})
    return current_task.request.id


@task(bind=True)
def thin(self, stand_id: int, other_task_id: str | None = None) -> int:
    """A bound task reporting a state of its own (or, wrongly, another job's)."""
    self.update_state(task_id=other_task_id, state="THINNING")
    return stand_id
