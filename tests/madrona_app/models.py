from __future__ import annotations

import json

from django.db import models


class Scenario(models.Model):
    name = models.CharField(max_length=100)
    #: The inputs: planning unit numbers, as JSON (madrona kept its inputs as JSON text).
    units = models.TextField(default="[]")
    #: The analysis' result, copied here by the app once the job has finished, so it
    #: outlives the job layer's cache (RESULT_TTL).
    output = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, rerun: bool = True, **kwargs):
        # New inputs make the stored result stale: drop it, then run the analysis again.
        if rerun:
            self.output = ""
        super().save(*args, **kwargs)
        if rerun:
            from .ports import port

            port().run(self)

    def get_absolute_url(self) -> str:
        return f"/scenarios/{self.pk}/"

    @property
    def inputs(self) -> list[int]:
        return list(json.loads(self.units))

    @property
    def result(self) -> dict[str, object] | None:
        return json.loads(self.output) if self.output else None

    def keep_result(self, result: dict[str, object]) -> None:
        """Store the finished result in the model, without re-running (seak's process_results)."""
        self.output = json.dumps(result)
        self.save(rerun=False, update_fields=["output"])


class Stand(models.Model):
    """forestplanner's trees.Stand, cut down: ``save()`` starts one job per raster, and
    ``status`` reads them as trees did, with madrona's API (only its import changed)."""

    name = models.CharField(max_length=100)
    #: Filled in from each raster's finished job (trees' tasks wrote them themselves).
    elevation = models.FloatField(null=True)
    slope = models.FloatField(null=True)
    aspect = models.FloatField(null=True)

    RASTERS = ("elevation", "slope", "aspect")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, impute: bool = True, **kwargs):
        super().save(*args, **kwargs)
        if impute:
            self._impute()

    def get_absolute_url(self) -> str:
        return f"/stands/{self.pk}/"

    def raster_url(self, raster: str) -> str:
        return f"{self.get_absolute_url()}imputed_{raster}"

    def _impute(self, limit_to: tuple[str, ...] | None = None) -> list[str]:
        from django_rq_poll.compat.madrona import check_status_or_begin

        from .tasks import impute

        task_ids = []
        for raster in self.RASTERS:
            if limit_to and raster not in limit_to:
                continue
            _status, task_id = check_status_or_begin(
                impute, task_args=(self.pk, raster), polling_url=self.raster_url(raster)
            )
            task_ids.append(task_id)
        return task_ids

    @property
    def status(self) -> dict[str, str]:
        from django_rq_poll.compat.madrona import get_process_result, get_process_status

        status = {}
        for raster in self.RASTERS:
            url = self.raster_url(raster)
            async_status = get_process_status(polling_url=url)
            if async_status == "SUCCESS" and getattr(self, raster) is None:
                value = get_process_result(polling_url=url)
                if value is not None:
                    setattr(self, raster, value)
                    self.save(impute=False, update_fields=[raster])
            if getattr(self, raster) is not None:
                status[raster] = "COMPLETED"
            elif async_status is not None:
                status[raster] = async_status
            else:
                status[raster] = "NOTSTARTED"
        return status

    def refresh(self) -> dict[str, str]:
        """What trees' views did with the status: start again what has not started."""
        status = self.status
        missing = tuple(r for r, s in status.items() if s == "NOTSTARTED")
        if missing:
            self._impute(limit_to=missing)
        return status
