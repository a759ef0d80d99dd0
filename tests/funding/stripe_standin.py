"""A stand-in of the Stripe API for the tests: a real HTTP server on a kernel-assigned port that
the real ``stripe`` client talks to (``stripe_api_base``), and events signed as Stripe signs them.

It answers the one call Rostra makes, ``POST /v1/checkout/sessions``, as Stripe does: form-encoded
parameters with bracketed keys (``line_items[0][price_data][unit_amount]``), a bearer secret key
(401 and Stripe's error object otherwise; 400 for a missing parameter), and a ``checkout.session``
object with its ``url``. It keeps each session, so a test can have the reader "pay" and get the
event Stripe would send: ``checkout.session.completed`` for a one-off gift, ``invoice.paid`` for
each month of a monthly one, with the metadata Rostra's session carried.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_standin_0123456789"
WEBHOOK_SECRET = "whsec_test_standin_0123456789"
_ids = itertools.count(1)


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    """An event as Stripe serialises it (``object: event``, ``data.object``)."""
    body = {
        "id": event_id or f"evt_{next(_ids):024d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }
    return json.dumps(body, indent=2).encode()


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs as nested dicts (lists as dicts keyed "0", "1"...)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass
class StandIn:
    url: str = ""
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def paid(self, session_id: str, **changes: Any) -> bytes:
        """The event Stripe sends once the reader paid this session (its first payment)."""
        s = self.sessions[session_id]
        if s["mode"] == "subscription":
            return self.invoice_paid(session_id, **changes)
        obj = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": s["amount_total"],
            "amount_subtotal": s["amount_total"],
            "currency": s["currency"],
            "customer": s["customer"],
            "payment_intent": s["payment_intent"],
            "metadata": s["metadata"],
            "customer_details": {"email": "reader@example.org", "name": None},
            **changes,
        }
        return event("checkout.session.completed", obj)

    def invoice_paid(self, session_id: str, month: int = 1, **changes: Any) -> bytes:
        s = self.sessions[session_id]
        obj = {
            "id": f"in_{session_id[-10:]}_{month}",
            "object": "invoice",
            "status": "paid",
            "amount_paid": s["amount_total"],
            "amount_due": s["amount_total"],
            "currency": s["currency"],
            "customer": s["customer"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "metadata": s["subscription_metadata"],
                    "subscription": s["subscription"],
                },
            },
            "payments": {
                "object": "list",
                "data": [
                    {
                        "payment": {
                            "type": "payment_intent",
                            "payment_intent": f"pi_m{month}_{session_id[-8:]}",
                        }
                    }
                ],
            },
            **changes,
        }
        return event("invoice.paid", obj)

    def refunded(self, session_id: str, refunds: list[int] | None, total: int) -> bytes:
        """charge.refunded for the session's payment: with its list of refunds, or (None) only
        the cumulative ``amount_refunded`` as today's API versions send it."""
        s = self.sessions[session_id]
        obj: dict[str, Any] = {
            "id": "ch_" + session_id[-12:],
            "object": "charge",
            "amount": s["amount_total"],
            "amount_refunded": total,
            "currency": s["currency"],
            "payment_intent": s["payment_intent"],
            "metadata": {},
            "refunded": total >= s["amount_total"],
        }
        if refunds is not None:
            obj["refunds"] = {
                "object": "list",
                "data": [
                    {"id": f"re_{session_id[-8:]}_{i}", "amount": a, "status": "succeeded"}
                    for i, a in enumerate(refunds)
                ],
            }
        return event("charge.refunded", obj)

    def dispute_closed(self, session_id: str, status: str) -> bytes:
        s = self.sessions[session_id]
        obj = {
            "id": "dp_" + session_id[-12:],
            "object": "dispute",
            "amount": s["amount_total"],
            "currency": s["currency"],
            "status": status,
            "charge": "ch_" + session_id[-12:],
            "payment_intent": s["payment_intent"],
            "metadata": {},
        }
        return event("charge.dispute.closed", obj)

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _error(kind: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **({"param": param} if param else {})}}


def start() -> StandIn:
    standin = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{next(_ids)}")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the handler's method name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            params = _nested(parse_qsl(raw, keep_blank_values=True))
            standin.requests.append(
                {"path": self.path, "params": params, "auth": self.headers.get("Authorization")}
            )
            if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                return self._send(401, _error("invalid_request_error", "Invalid API Key provided"))
            if self.path != "/v1/checkout/sessions":
                return self._send(404, _error("invalid_request_error", "Unrecognized request URL"))
            for name in ("mode", "success_url", "line_items"):
                if name not in params:
                    return self._send(
                        400,
                        _error("invalid_request_error", f"Missing required param: {name}.", name),
                    )
            item = params["line_items"]["0"]
            price = item["price_data"]
            n = next(_ids)
            session_id = f"cs_test_{n:020d}"
            amount = int(price["unit_amount"]) * int(item.get("quantity", "1"))
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params["mode"],
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": amount,
                "currency": price["currency"],
                "metadata": params.get("metadata", {}),
                "success_url": params["success_url"],
                "cancel_url": params.get("cancel_url"),
                "locale": params.get("locale"),
                "url": f"{standin.url}/c/pay/{session_id}",
                "customer": f"cus_{n:014d}",
                "payment_intent": f"pi_{n:020d}" if params["mode"] == "payment" else None,
                "subscription": f"sub_{n:018d}" if params["mode"] == "subscription" else None,
                "subscription_metadata": params.get("subscription_data", {}).get("metadata", {}),
                "recurring": price.get("recurring"),
            }
            standin.sessions[session_id] = session
            public = {
                k: v for k, v in session.items() if k not in ("subscription_metadata", "recurring")
            }
            public["payment_intent"] = None  # Stripe creates it when the reader pays
            self._send(200, public)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin.server = server
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin
