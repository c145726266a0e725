"""gunicorn settings for the web service (``gunicorn config.wsgi:application --config
config/gunicorn.py``; the bind address is given on the command line).

The access log names the path, never the query string or the referrer: searches carry children's
names (``?search=``, the admin's ``?q=``), and a log line outlives every access rule.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
