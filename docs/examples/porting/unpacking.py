"""forestplanner's Stand._impute, on both APIs: one job per raster."""

import django_rq_poll as poll
from django_rq_poll.compat.madrona import check_status_or_begin
from porting.tasks import impute

RASTERS = ("elevation", "slope", "aspect")


def impute_with_madronas_api(stand_id, stand_url):
    # The madrona code with only its import changed: the pair unpacks as before.
    ids = {}
    for raster in RASTERS:
        _status_html, task_id = check_status_or_begin(
            impute, task_args=(stand_id, raster), polling_url=f"{stand_url}imputed_{raster}"
        )
        ids[raster] = task_id
    return ids


def impute_with_the_main_api(stand_id, stand_url):
    # The main API returns one StatusText; it carries the job's id, it does not unpack.
    ids = {}
    for raster in RASTERS:
        status = poll.check_status_or_begin(
            impute, task_args=(stand_id, raster), polling_url=f"{stand_url}imputed_{raster}"
        )
        ids[raster] = status.task_id
    return ids
