"""The tasks of a ported madrona app: plain functions, no @task decorator."""

from django_rq_poll import set_progress

RASTERS = {"elevation": 120.0, "slope": 12.5}


def prioritize(units):
    for unit in units:
        if unit < 0:
            raise ValueError(f"planning unit {unit} is outside the study region")
    return sorted(u for u in units if u % 2 == 0)


# Celery (forestplanner):
#     @task(bind=True)
#     def impute(self, stand_id, raster):
#         self.update_state(state="PROGRESS", meta={"step": "reading"})
#         if not found:
#             self.update_state(state="RASTERNOTFOUND")
#             return
#         ...
def impute(stand_id, raster):
    set_progress(0, 2, f"reading {raster}")  # was update_state(state="PROGRESS", ...)
    if raster not in RASTERS:
        # An outcome the caller handles is a return value, not a custom state.
        return {"stand": stand_id, "raster": raster, "error": "RASTERNOTFOUND"}
    set_progress(1, 2, "zonal statistics")
    return {"stand": stand_id, "raster": raster, "value": RASTERS[raster]}
