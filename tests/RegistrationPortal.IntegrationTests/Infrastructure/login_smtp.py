"""An aiosmtpd server for tests that demands a login: a Maildir like aiosmtpd.handlers.Mailbox, AUTH PLAIN and LOGIN
offered without TLS (loopback only), one user and password accepted, a message taken only after a successful login.
aiosmtpd's command line cannot ask for that, so this starts the server itself.

Run with Debian's interpreter, this folder on PYTHONPATH:
    /usr/bin/python3 -m login_smtp PORT MAILDIR USER PASSWORD
"""

import asyncio
import sys
import warnings

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


# On loopback, in a test: no one listens in on the password.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


def main(port, mail_dir, user, password):
    expected = (user.encode("utf-8"), password.encode("utf-8"))

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == expected
        return AuthResult(success=ok, handled=False)

    handler = Mailbox(mail_dir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, authenticator=authenticate, auth_required=True, auth_require_tls=False),
        "127.0.0.1",
        int(port)))
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: login_smtp PORT MAILDIR USER PASSWORD")
    main(*sys.argv[1:])
