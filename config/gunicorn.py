"""gunicorn settings for the web service (``gunicorn config.wsgi:application --config
config/gunicorn.py``; the bind address is given on the command line).

The access log names the path, never the query string or the referrer: searches carry children's
names (``?search=``, the admin's ``?q=``), and a log line outlives every access rule.

Threaded workers (``gthread``): an export of the whole registry streams for a minute or more,
and a sync worker, which tells the arbiter it is alive only between requests, would be killed
mid-stream after ``timeout`` (30 s); a threaded worker's main loop keeps telling it while its
threads serve. ``WEB_THREADS`` threads a worker (4 unless set).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
