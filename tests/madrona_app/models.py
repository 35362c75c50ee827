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
