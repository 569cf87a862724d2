#!/usr/bin/env python3
# tests/tools/ptyrun.py -- run a command on a pseudo-terminal and answer its
# questions, for tests of interactive prompts (wolfpack app sp apply).
#
#   ptyrun.py --prompt TEXT --answer LINE [--answer LINE ...] -- CMD ARGS...
#
# Each time the command's output ends with TEXT (a prompt waiting for an
# answer) the next LINE is typed; when the answers run out, end of input
# (Ctrl-D) is sent.  Everything the command printed goes to stdout with
# "\r\n" turned into "\n"; the exit status is the command's.  A bound of
# --timeout seconds (default 30) kills the command: a test never hangs.
import argparse
import os
import pty
import select
import signal
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    answers = list(a.answer)
    prompt = a.prompt.encode()
    seen = b""
    out = b""
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            sys.stderr.write("ptyrun: timed out\n")
            break
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        seen += chunk
        if seen.endswith(prompt):
            seen = b""
            if answers:
                os.write(fd, answers.pop(0).encode() + b"\r")
            else:
                os.write(fd, b"\x04")
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    sys.stdout.flush()
    if os.WIFEXITED(status):
        sys.exit(os.WEXITSTATUS(status))
    sys.exit(128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
