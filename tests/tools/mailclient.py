#!/usr/bin/python3
"""mailclient.py -- the mail client of tests/integration/test_mail.sh and of
./demo.sh (docs/MAIL.md): SMTP and IMAP with Python's smtplib and imaplib,
run in the test cluster's client namespace (or on a node for the standalone
install).

  mailclient.py greet HOST [PORT]          print the SMTP greeting line
  mailclient.py ehlo HOST                  print the EHLO answer (SIZE ...)
  mailclient.py send HOST TAG N            send N messages (Message-ID <TAG-i@test>);
                                           print the IDs that got 250 after DATA
  mailclient.py deliver HOST ID            send one message (Message-ID <ID@test>);
                                           print the server's answer to DATA
                                           ("250 2.0.0 Ok: queued as ..."); exit 1
                                           unless it is 250
  mailclient.py loop HOST TAG STOPFILE     send one message after another until
                                           STOPFILE exists; each attempt has its own
                                           Message-ID; "ACK id time" or "NOACK id time
                                           why" per attempt on stdout (line-buffered)
  mailclient.py ids HOST USER PASSWORD     the Message-IDs in USER's INBOX, one per
                                           line (IMAP LOGIN, FETCH of the header)
  mailclient.py imap-greet HOST            print the IMAP greeting line

A message that is refused or times out is not sent again under the same
Message-ID: the loop's next attempt is a new message (so "delivered exactly
once" is checked per acknowledged Message-ID, and an unacknowledged attempt
may show up at most once).  Exit status 0, or 1 with the error on stderr.
"""
import imaplib
import os
import re
import smtplib
import socket
import sys
import time

FROM = "tester@client.test"
TO = "alice@example.org"
TIMEOUT = 5


def message(mid, n):
    return ("From: %s\r\nTo: %s\r\nSubject: test %s\r\nMessage-ID: <%s@test>\r\n\r\n"
            "message %d of the mail test\r\n" % (FROM, TO, mid, mid, n))


def send_one(host, mid, n):
    """The server's answer to DATA, "250 ..."; raises unless it is 250."""
    s = smtplib.SMTP(host, 25, timeout=TIMEOUT)
    try:
        s.ehlo("client.test")
        code, answer = s.mail(FROM)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, FROM)
        code, answer = s.rcpt(TO)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({TO: (code, answer)})
        code, answer = s.data(message(mid, n))
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
        return "%d %s" % (code, answer.decode(errors="replace"))
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            s.close()


def cmd_send(host, tag, count):
    for i in range(1, int(count) + 1):
        mid = "%s-%d" % (tag, i)
        if send_one(host, mid, i):
            print(mid, flush=True)


def cmd_deliver(host, mid):
    print(send_one(host, mid, 1), flush=True)


def cmd_loop(host, tag, stopfile):
    i = 0
    while not os.path.exists(stopfile):
        i += 1
        mid = "%s-%d" % (tag, i)
        try:
            send_one(host, mid, i)
            print("ACK", mid, "%.3f" % time.time(), flush=True)
        except (smtplib.SMTPException, OSError) as e:
            print("NOACK", mid, "%.3f" % time.time(), str(e).replace("\n", " ")[:120],
                  flush=True)
            time.sleep(0.2)
        time.sleep(0.05)


def cmd_ids(host, user, password):
    m = imaplib.IMAP4(host, 143, timeout=TIMEOUT) if sys.version_info >= (3, 9) \
        else imaplib.IMAP4(host, 143)
    m.login(user, password)
    typ, data = m.select("INBOX", readonly=True)
    if typ != "OK":
        raise RuntimeError("cannot select INBOX: %r" % data)
    if int(data[0]) > 0:
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for part in data:
            if isinstance(part, tuple):
                found = re.search(rb"<([^>]*)@test>", part[1])
                print(found.group(1).decode() if found else "(no id)")
    m.logout()


def cmd_greet(host, port="25"):
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as c:
        print(c.makefile("rb").readline().decode().rstrip("\r\n"))


def cmd_ehlo(host):
    s = smtplib.SMTP(host, 25, timeout=TIMEOUT)
    code, text = s.ehlo("client.test")
    s.quit()
    print(code, text.decode().replace("\n", " | "))


def main(argv):
    cmds = {"send": (cmd_send, 3), "deliver": (cmd_deliver, 2), "loop": (cmd_loop, 3), "ids": (cmd_ids, 3),
            "greet": (cmd_greet, 1), "ehlo": (cmd_ehlo, 1),
            "imap-greet": (lambda h: cmd_greet(h, "143"), 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 < cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        cmds[argv[1]][0](*argv[2:])
    except Exception as e:  # a test helper: say what failed, exit 1
        sys.stderr.write("mailclient: %s: %s\n" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
