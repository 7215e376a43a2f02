#!/usr/bin/env python3
"""localstripe (PyPI, a stateful fake of Stripe's HTTP API) as Souk's tests need it.

    python3 scripts/localstripe-server.py [PORT]     # 0 or nothing: any free port

Binds 127.0.0.1 only, keeps its state in memory (the stock command pickles it to /tmp after every
write), prints the port it listens on, then serves until killed. It also adds to what localstripe
returns the fields Stripe always sends and localstripe leaves out, without which async-stripe's
strict parser refuses PaymentIntents, Charges and Events.
"""

import socket
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None


def add_defaults(cls, defaults):
    export = cls._export

    def _export(self, *args, **kwargs):
        out = export(self, *args, **kwargs)
        for key, value in defaults(out).items():
            if out.get(key) is None:
                out[key] = value
        return out

    cls._export = _export


add_defaults(resources.PaymentIntent, lambda out: {
    "amount_capturable": 0,
    "amount_received": out.get("amount", 0) if out.get("status") == "succeeded" else 0,
    "confirmation_method": "automatic",
    "payment_method_types": ["card"],
})
add_defaults(resources.Charge, lambda out: {
    "amount_captured": out.get("amount", 0) if out.get("captured") else 0,
    "billing_details": {"address": None, "email": None, "name": None, "phone": None},
    "disputed": False,
})
add_defaults(resources.Event, lambda out: {
    "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None},
})


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
