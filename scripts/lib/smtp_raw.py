"""An aiosmtpd handler that keeps each message's bytes as they arrived, one file per message in
DIR/new, without parsing them (aiosmtpd's own Mailbox handler parses every message into Python's
email objects, which makes the SMTP server, not the sender, the limit of a benchmark).

    PYTHONPATH=scripts/lib python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_raw.RawMaildir DIR
"""

import itertools
import os


class RawMaildir:
    def __init__(self, path):
        self.new = os.path.join(path, "new")
        os.makedirs(self.new, exist_ok=True)
        self.count = itertools.count()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("RawMaildir takes one argument: the folder")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(self.new, f"{os.getpid()}.{next(self.count)}")
        with open(name, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 OK"
