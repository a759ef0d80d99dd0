"""Outgoing mail: build a message (``message``), render its parts (``content``), send it over
SMTP (``mail``).

Sending is blocking I/O: it runs in a job runner's thread, never on the event loop. The settings
(``smtp_url``, ``mail_from``, ``smtp_timeout_seconds``) are parsed and checked in rostra.config,
at startup.
"""
