"""``manage.py runserver``, the server of ``make run``, with room for a small office's requests.

Django's development server keeps only 10 connections waiting to be accepted; a few more
arriving at once (an office's clients saving together) are reset before the server reads them.
This one keeps as many as the system allows. Everything else is Django's (with the static files
of ``django.contrib.staticfiles``).
"""

from __future__ import annotations

import socket

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticfilesRunserverCommand,
)
from django.core.servers.basehttp import WSGIServer


class OfficeWSGIServer(WSGIServer):
    request_queue_size = socket.SOMAXCONN


class Command(StaticfilesRunserverCommand):
    server_cls = OfficeWSGIServer
