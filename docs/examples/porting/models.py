from django.db import models

import django_rq_poll as poll
from porting.tasks import prioritize


class Analysis(models.Model):
    units = models.JSONField(default=list)
    #: Copied here from the job's cached result the first time it is read: kept for ever.
    result = models.JSONField(null=True, blank=True)

    def __str__(self):
        return f"Analysis of {len(self.units)} units"

    def save(self, *args, **kwargs):
        self.result = None  # the inputs may have changed: the stored result is stale
        super().save(*args, **kwargs)
        poll.begin_process(prioritize, (self.units,), polling_url=self.get_absolute_url())

    def get_absolute_url(self):
        return f"/analyses/{self.pk}/"

    def stored_result(self):
        """The result from the row; from the cache (then copied into the row) the first time."""
        if self.result is None:
            snap = poll.get_process_snapshot(self.get_absolute_url(), result=True)
            if snap is not None and snap.state is poll.State.COMPLETE:
                self.result = snap.return_value
                # Not self.save(): that would clear it and run the analysis again.
                Analysis.objects.filter(pk=self.pk).update(result=self.result)
        return self.result
