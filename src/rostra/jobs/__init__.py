"""Durable background work: the jobs outbox and the runner that works through it.

A job is a row written in the same transaction as the event that causes it
(``WriteTransaction.enqueue``); a runner claims due jobs under a lease, runs the handler
registered for their kind and marks them done, or retries them with backoff until they go to the
dead-letter list. ``rostra serve`` runs one runner in each server process by default, ``rostra
worker`` runs one as a process of its own. Why an outbox table and not a queue library, and what
at-least-once delivery leaves: docs/adr/0007-durable-jobs.md.
"""
