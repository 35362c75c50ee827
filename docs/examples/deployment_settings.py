# Production queue settings: django-rq turns each entry into a redis-py client.
import os

# A managed Redis over TLS (rediss://), logging in as an ACL user of its own.
MANAGED = {
    "default": {
        "URL": os.environ.get("REDIS_URL", "rediss://reports:secret@redis.example.com:6380/0"),
        "SSL_CERT_REQS": "required",  # verify the server's certificate
        "SERIALIZER": "rq.serializers.JSONSerializer",
        "DEFAULT_RESULT_TTL": 3600,
    },
}

# The same with host and port. (A CA file and client certificates also fit in the URL:
# "rediss://...?ssl_ca_certs=...&ssl_certfile=...&ssl_keyfile=...".)
MANAGED_WITH_CA = {
    "default": {
        "HOST": "redis.example.com",
        "PORT": 6380,
        "DB": 0,
        "USERNAME": "reports",
        "PASSWORD": "secret",
        "SSL": True,
        "REDIS_CLIENT_KWARGS": {"ssl_ca_certs": "/etc/ssl/certs/redis-ca.pem"},
        "SERIALIZER": "rq.serializers.JSONSerializer",
    },
}

# Sentinel: django-rq asks the sentinels which server is the master.
SENTINEL = {
    "default": {
        "SENTINELS": [("sentinel-1.example.com", 26379), ("sentinel-2.example.com", 26379)],
        "MASTER_NAME": "reports",
        "DB": 0,
        "USERNAME": "reports",
        "PASSWORD": "secret",
        "SOCKET_TIMEOUT": 0.5,
        "SENTINEL_KWARGS": {"username": "sentinel", "password": "sentinel-secret"},
        "SERIALIZER": "rq.serializers.JSONSerializer",
    },
}

RQ_QUEUES = MANAGED

RQ_POLL = {
    "QUEUE": "default",
    "RESULT_TTL": None,  # None: the queue's DEFAULT_RESULT_TTL above, one hour
    "FAILURE_TTL": 6 * 60 * 60,
}
