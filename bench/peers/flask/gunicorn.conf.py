"""gunicorn settings for the Flask peer (bench/run.sh passes BENCH_PORT,
TLS_CERT and TLS_KEY in the environment)."""

import os
import sys

bind = "127.0.0.1:" + os.environ["BENCH_PORT"]
# gunicorn's documented starting point, (2 x cores) + 1 sync workers: 5 on the
# 2-core bench machine. Sync workers are gunicorn's default and what drchrono's
# Flask-style example would be deployed with; they answer one request per
# connection and close it (no keep-alive), so the "keep-alive" load shape is a
# new connection per request for this peer.
workers = 2 * (os.cpu_count() or 1) + 1
worker_class = "sync"
timeout = 30
certfile = os.environ["TLS_CERT"]
keyfile = os.environ["TLS_KEY"]
# TLS 1.3 suites keep Python's defaults; for TLS 1.2 the same list as
# chronohook's src/net/tls.cpp.
ciphers = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
accesslog = None
errorlog = "-"
loglevel = "warning"


def on_starting(server):
    # Create the table once in the master, before the workers race to do it.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import app as flask_peer  # pylint: disable=import-outside-toplevel

    flask_peer.ensure_schema()
