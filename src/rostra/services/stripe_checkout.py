"""Checkout Sessions created through the official ``stripe`` package: the CheckoutGateway of
rostra.services.stripe_funding.

One client per secret key (each site has its own Stripe account), at ``api_base`` when set (the
tests' stand-in of the API; empty: Stripe's). Stripe's own errors become a 502 whose message
names no key and repeats nothing Stripe said, since it may hold account details; the log keeps
the error's type and Stripe's request id only. The call blocks: the web layer runs it off the
event loop.
"""

from __future__ import annotations

import logging
import threading

import stripe

from rostra.domain.errors import N_, RostraError
from rostra.services.stripe_funding import CheckoutRequest

log = logging.getLogger("rostra.funding")
TIMEOUT_SECONDS = 15


class PaymentProviderError(RostraError):
    status = 502
    code = "payment-provider-error"


class StripeCheckout:
    def __init__(self, api_base: str = "") -> None:
        self.api_base = api_base.rstrip("/")
        self._clients: dict[str, stripe.StripeClient] = {}
        self._lock = threading.Lock()

    def _client(self, secret_key: str) -> stripe.StripeClient:
        with self._lock:
            client = self._clients.get(secret_key)
            if client is None:
                if len(self._clients) > 100:
                    self._clients.clear()
                client = stripe.StripeClient(
                    secret_key,
                    base_addresses={"api": self.api_base} if self.api_base else None,
                    max_network_retries=2,
                    http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
                )
                self._clients[secret_key] = client
            return client

    def create_session(self, request: CheckoutRequest) -> str:
        campaign = request.campaign
        metadata = {"campaign": campaign.public_id, "site": request.site_slug}
        price: dict[str, object] = {
            "currency": campaign.currency.lower(),
            "unit_amount": request.amount_minor,
            "product_data": {"name": request.product[:250]},
        }
        params: dict[str, object] = {
            "line_items": [{"price_data": price, "quantity": 1}],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
            "locale": request.locale,
        }
        if request.frequency == "monthly":
            price["recurring"] = {"interval": "month"}
            params["mode"] = "subscription"
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["mode"] = "payment"
            params["submit_type"] = "donate"
            params["payment_intent_data"] = {"metadata": metadata}
        try:
            session = self._client(request.secret_key).v1.checkout.sessions.create(
                params  # type: ignore[arg-type]
            )
        except stripe.StripeError as exc:
            log.warning(
                "Stripe refused a Checkout Session: %s (request %s)",
                type(exc).__name__,
                getattr(exc, "request_id", None) or "-",
            )
            raise PaymentProviderError(
                N_("The payment service could not start the payment. Please try again later.")
            ) from None
        url = session.url
        if not url:
            raise PaymentProviderError(
                N_("The payment service could not start the payment. Please try again later.")
            )
        return str(url)
