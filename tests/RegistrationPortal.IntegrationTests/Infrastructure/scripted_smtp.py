"""An aiosmtpd handler for tests: a Maildir like aiosmtpd.handlers.Mailbox, but each recipient can be deferred (4xx),
refused (5xx) or held, and every attempt is logged.

Run with Debian's interpreter, this folder on PYTHONPATH:
    /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c scripted_smtp.ScriptedMailbox MAILDIR RULES LOG

RULES is a JSON file read at every command: {"<address, lowercase>": "<rule>", "*": "<rule for everyone else>"}.
Rules: "accept" (the default), "defer-rcpt" (451 to RCPT TO), "refuse-rcpt" (550 to RCPT TO), "defer-data"
(451 after DATA), "refuse-data" (554 after DATA), "refuse-data-verbose" (554 after DATA, explained over several
lines, over 500 characters in all), "hold-data" (the message is stored, as a server that took it would,
but the 250 answer waits until the rule changes: a client that dies meanwhile never learns it was delivered),
"stall-first-data" (the first message to the address waits, not yet stored, until the rule changes; the ones after it
are stored and answered meanwhile).
The test replaces the file (write, then rename) to change a rule.

LOG gets one line per event, tab separated: "RCPT <address> <code>", "DATA-START <address>" (a message arrived and
is about to be answered), "DATA-STALLED <address>" (the first message, not yet stored, waits), "DATA-HELD <address>"
(stored, answer held) and "DATA <address> <code>", one line per recipient; "EHLO <client port>" when a client greets
(a session begins) and "QUIT <client port>" when it says goodbye.
"""

import asyncio
import json
import os

from aiosmtpd.handlers import Mailbox


class ScriptedMailbox(Mailbox):
    def __init__(self, mail_dir, rules_path, log_path):
        super().__init__(mail_dir)
        self.rules_path = rules_path
        self.log_path = log_path
        self.stalled = set()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 3:
            parser.error("ScriptedMailbox needs MAILDIR RULES LOG")
        return cls(*args)

    def rule(self, address):
        try:
            with open(self.rules_path, encoding="utf-8") as f:
                rules = json.load(f)
        except FileNotFoundError:
            rules = {}
        return rules.get(address.lower(), rules.get("*", "accept"))

    def log(self, *fields):
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write("\t".join(fields) + "\n")
            f.flush()
            os.fsync(f.fileno())

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.log("EHLO", str(session.peer[1]))
        return responses

    async def handle_QUIT(self, server, session, envelope):
        self.log("QUIT", str(session.peer[1]))
        return "221 Bye"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rule = self.rule(address)
        if rule == "defer-rcpt":
            answer = "451 4.3.0 Try again later"
        elif rule == "refuse-rcpt":
            answer = "550 5.1.1 Mailbox unavailable"
        else:
            envelope.rcpt_tos.append(address)
            answer = "250 OK"
        self.log("RCPT", address.lower(), answer[:3])
        return answer

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            self.log("DATA-START", address.lower())
        stall = [a.lower() for a in envelope.rcpt_tos if self.rule(a) == "stall-first-data" and a.lower() not in self.stalled]
        if stall:
            self.stalled.update(stall)
            for address in stall:
                self.log("DATA-STALLED", address)
            while any(self.rule(a) == "stall-first-data" for a in stall):
                await asyncio.sleep(0.05)
        rules = {self.rule(a) for a in envelope.rcpt_tos}
        if "hold-data" in rules:
            answer = await super().handle_DATA(server, session, envelope)
            for address in envelope.rcpt_tos:
                self.log("DATA-HELD", address.lower())
            while "hold-data" in {self.rule(a) for a in envelope.rcpt_tos}:
                await asyncio.sleep(0.05)
        elif "defer-data" in rules:
            answer = "451 4.3.0 Try again later"
        elif "refuse-data" in rules:
            answer = "554 5.6.0 Message refused"
        elif "refuse-data-verbose" in rules:
            lines = [f"5.6.0 Message refused at length, policy {n}: " + "the content of this message is not accepted here " * 3 for n in range(1, 6)]
            answer = "\r\n".join(f"554-{line}" for line in lines[:-1]) + f"\r\n554 {lines[-1]}"
        else:
            answer = await super().handle_DATA(server, session, envelope)
        for address in envelope.rcpt_tos:
            self.log("DATA", address.lower(), answer[:3])
        return answer
