# Result lifetime: how long a finished result is served from Redis.
RQ_POLL = {
    # None (the default): django-rq's DEFAULT_RESULT_TTL if set, else one day, as Celery.
    # A week here; -1 keeps results until forget_process() or `manage.py rqpoll`.
    "RESULT_TTL": 7 * 24 * 60 * 60,
}
