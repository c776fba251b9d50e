"""A real SMTP server for the email tests (aiosmtpd, pinned in scripts/install-python-test-deps.sh).

Listens on 127.0.0.1:PORT and writes each accepted message to DIR as NNNN.json: the envelope,
the headers the tests look at, and every MIME part decoded by Python's own email parser (the
Rust side then checks what arrived without a MIME parser of its own). With --user and
--password it requires AUTH (PLAIN or LOGIN) over the plain connection, as a submission server
would after STARTTLS. Runs until killed.

    python3 smtp_sink.py --port 2525 --dir /tmp/mail [--user u --password p]
"""

import argparse
import itertools
import json
import logging
import os
import signal
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            parts.append({
                "content_type": part.get_content_type(),
                "filename": part.get_filename(),
                "content": part.get_content() if part.get_content_maintype() == "text"
                else part.get_payload(decode=True).decode("utf-8", "replace"),
            })
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": session.authenticated,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "message_id": str(msg["message-id"]),
            "alert_key": str(msg["x-sla-alert-key"]),
            "parts": parts,
        }
        name = os.path.join(self.directory, "%04d.json" % next(self.counter))
        # Written then renamed: the test never reads half a file.
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()

    kwargs = {}
    if args.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == args.user
                  and auth_data.password.decode() == args.password)
            return AuthResult(success=ok, handled=False)
        kwargs = dict(authenticator=authenticator, auth_required=True,
                      auth_require_tls=False)
    # Quiet: aiosmtpd warns that AUTH without TLS is unsafe, which is the point of this sink.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print("listening", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
