"""Signed webhooks, the sending side: the ``webhook.deliver`` job's handler (``delivery``).

The model is rostra.domain.webhooks, enqueueing and managing endpoints rostra.services.webhooks,
the tables rostra.storage.webhooks; docs/webhooks.md is what a receiver reads.
"""
