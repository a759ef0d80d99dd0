"""The moderators' desk on the web: sign-in, queues, decisions, bans and the audit log."""
