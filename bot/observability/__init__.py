"""Operations: health and readiness checks, Prometheus metrics, structured logs.

A way in like a channel: it reads the services (and, through its own repository
``storage.repositories.operations``, the database) at scrape time, so no other part of the bot
carries metric bookkeeping. ``observed`` wraps the services opener of ``supportbot run`` and
starts the HTTP server when ``SUPPORTBOT_METRICS_PORT`` is set.
"""
