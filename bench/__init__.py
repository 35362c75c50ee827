"""Benchmarks of django-rq-poll against one plain Redis GET and its peers.

Run ``make bench`` (or ``python -m bench`` in a venv with the ``bench`` extra) with
``REDIS_URL`` naming a Redis database the benchmark may empty.
"""
