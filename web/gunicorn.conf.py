"""gunicorn settings for the site in production (README: "Serving in production").

    gunicorn -c web/gunicorn.conf.py 'web:create_app()'

Why threaded workers (``gthread``) and not gunicorn's default ``sync`` ones: a sync worker
serves one connection at a time and reads it to the end, so a handful of clients that send
their headers a byte at a time (slowloris) occupy every worker; health checks then time out and
the arbiter kills the workers ("WORKER TIMEOUT"), over and over.  That is how ``-w 4`` sync
workers fell to 8 slow clients.  A gthread worker waits for a connection's first bytes in its
main loop and hands it to one of ``threads`` threads only then, while the main thread keeps
the worker alive; a slow client costs one thread, not a worker, and the other threads keep
answering.  ``tests/unit/test_gunicorn_recipe.py`` runs this file against slow clients.

On the open internet, also put a buffering proxy in front (nginx with ``client_header_timeout``
and ``limit_conn``): it reads whole requests before gunicorn sees them, so thousands of slow
clients cost the proxy a few kilobytes each and this server nothing.

Settings below can be overridden on the command line (``-b``, ``-w``, ``--threads``, …);
``WEB_CONCURRENCY`` sets the number of workers as gunicorn documents.
"""

import os

bind = "127.0.0.1:8000"  # the README passes -b; behind a proxy keep it on loopback
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = 16  # per worker: each slow client holds at most one of these

# Import the app (and the task registry, ~2 s) once, before forking: workers share it.
preload_app = True

timeout = 30  # a worker whose main loop is stuck this long is restarted (never caused by slow clients here)
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection is kept (on the poller, not on a thread)

# Bounded requests: a request line, a header count and a header size a client cannot exceed.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Recycle workers now and then (spread out), so slow memory growth never accumulates.
max_requests = 20000
max_requests_jitter = 2000

# X-Forwarded-Proto is trusted from this address only: a TLS proxy on the same host makes
# request.is_secure true, so the session cookie is sent with Secure (web.SessionCookies).
forwarded_allow_ips = "127.0.0.1"

accesslog = "-"
errorlog = "-"
