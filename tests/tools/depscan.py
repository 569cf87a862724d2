#!/usr/bin/python3
"""tests/tools/depscan.py -- what the code, tests, tools and demo use from the
system, and whether tools/install-deps installs it (run by tests/run-deps).

It collects
  - programs: every `command -v X`; every plain word in code position of the
    shell scripts (demo.sh, run-tests.sh, tools/*, tests/run-*, tests/**/*.sh,
    debian/rules, the Makefile's recipes), quoted text left out except
    `sh -c '...'` bodies and $(...) inside double quotes; absolute program
    paths in the C sources of src/ and kits/; subprocess argument lists of
    the Python helpers;
  - headers: every `#include <...>` of src/, tests/ and kits/;
  - pkg-config modules: the Makefile's PKGS;
  - Python modules the helpers of tests/tools import (Debian's python3, -I);
resolves each on this machine (PATH, the compiler's include path,
pkg-config), asks dpkg which package holds the file, and checks that package
is one tools/install-deps --list names, one every minimal Debian system has
(Essential or Priority required), or one those depend on (first
alternative of each Depends/Pre-Depends, virtual packages through their
installed providers).

Output: one line per finding, "ok ..." or "FAIL ...", then nothing else;
exit 1 when something failed.  Arguments: the repository root, then
optionally --packages FILE (a package list to check against instead of
install-deps --list: the test's self-check uses it).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
# Programs the code uses only when they are there, each with the reason.
OPTIONAL = {
    "systemctl": "the Service agent drives systemd units only where systemd runs (docs/AGENTS.md)",
    "exim4": "an example of a service path in the model's validation messages",
    "httpd": "an example of a service path in test data",
}
# Words of the scripts that are data or names of this project, not programs.
NOT_PROGRAMS = {"wolfpack", "wolfpackd"}


# Programs are looked up where Debian's packages put them: a program only in
# /usr/local or a user's own PATH (pyenv...) is not installed by a package.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def which(prog):
    return shutil.which(prog, path=SYSTEM_PATH)


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def listed_packages():
    if "--packages" in sys.argv:
        with open(sys.argv[sys.argv.index("--packages") + 1]) as f:
            return [l.strip() for l in f if l.strip()]
    return sh(os.path.join(ROOT, "tools/install-deps"), "--list").split()


def installed_db():
    """name -> (essential, priority, [deps first alternatives], [provides])"""
    db = {}
    fmt = "${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\t${Provides}\t${db:Status-Abbrev}\n"
    for line in sh("dpkg-query", "-W", "-f", fmt).splitlines():
        name, ess, prio, deps, prov, status = (line.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        first = []
        for d in deps.split(","):
            d = d.strip().split("|")[0].strip()
            if d:
                first.append(re.split(r"[\s(:]", d)[0])
        provides = [re.split(r"[\s(]", p.strip())[0] for p in prov.split(",") if p.strip()]
        db[name] = (ess == "yes", prio, first, provides)
    return db


def allowed_packages(listed, db):
    providers = {}
    for name, (_, _, _, provides) in db.items():
        for p in provides:
            providers.setdefault(p, []).append(name)
    seeds = set(listed) | {n for n, v in db.items() if v[0] or v[1] == "required"}
    allowed, todo = set(), list(seeds)
    while todo:
        p = todo.pop()
        names = [p] if p in db else providers.get(p, [])
        for n in names:
            if n not in allowed:
                allowed.add(n)
                todo.extend(db[n][2])
    return allowed


def candidates(path):
    """the names dpkg may know PATH by (/usr-merge, symlinks)"""
    tries = [path]
    if path.startswith("/usr/"):
        tries.append(path[4:])
    elif path.startswith(("/bin/", "/sbin/", "/lib/")):
        tries.append("/usr" + path)
    real = os.path.realpath(path)
    tries += [real, real[4:] if real.startswith("/usr/") else "/usr" + real]
    return tries


def owners(paths):
    """{path: package} for those of PATHS dpkg knows (one dpkg -S for all)"""
    names = sorted({t for p in paths for t in candidates(p)})
    out = subprocess.run(["dpkg", "-S"] + names, capture_output=True, text=True).stdout if names else ""
    found = {}
    for line in out.splitlines():
        pkgs, _, f = line.partition(": ")
        if "diversion" not in pkgs:
            found.setdefault(f.strip(), pkgs.split(",")[0].strip().split(":")[0])
    return {p: next((found[t] for t in candidates(p) if t in found), None) for p in paths}


# ---- shell scripts -----------------------------------------------------------------------------
WORD = re.compile(r"[A-Za-z0-9_.+/%@:=,-]")
SEPARATORS = set("\n;|&(){}`!")
ARG = "\0"  # a quoted string or an expansion: an argument, never a program
KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "time", "in"}
# WRAPPER ... PROGRAM: the program is among the next few words after options
WRAPPERS = {"exec", "command", "env", "nohup", "setsid", "sudo", "nice", "timeout", "setpriv",
            "nsenter", "unshare", "xargs", "chroot", "stdbuf", "flock", "in_node", "on", "check",
            "expect_ok", "expect_fail", "wait_for", "wait_until", "--"}
# WRAPPER NODE PROGRAM (or WRAPPER PROGRAM): tools/testcluster's exec and its helpers
NODE_WRAPPERS = {"exec", "in_node", "on"}
# Programs a script needs without naming them as a command
IMPLIED = {r"tar\b[^\n]*--zstd": "zstd", r"tar\b[^\n]*\.(xz|txz)\b": "xz"}


def shell_segments(text, line0=1):
    """the simple commands of shell TEXT: lists of (word, line); quoted text
    and expansions are ARG, except `-c '...'` bodies and $(...) inside double
    quotes, which are commands themselves; comments and heredocs are left out"""
    segs, seg = [], []
    i, n, line = 0, len(text), line0
    cur, cur_line = "", line
    heredocs = []

    def emit():
        nonlocal cur
        if cur:
            seg.append((cur, cur_line))
        cur = ""

    def cut():
        nonlocal seg
        emit()
        if seg:
            segs.append(seg)
        seg = []

    def shell_body():  # the string after `sh -c` / `bash -c` is a script
        emit()
        words = [w for w, _ in seg]
        return len(words) >= 2 and words[-1] == "-c" and any(
            os.path.basename(w) in ("sh", "bash", "dash") for w in words[:-1])

    while i < n:
        c = text[i]
        if c == "\n" and heredocs:
            cut()
            line += 1
            i += 1
            for tag in heredocs:  # skip each heredoc body (data)
                while i < n:
                    j = text.find("\n", i)
                    j = n if j < 0 else j
                    body = text[i:j]
                    i = j + 1
                    line += 1
                    if body.strip() == tag:
                        break
            heredocs = []
            continue
        if c == "\\":
            if text.startswith("\n", i + 1):
                line += 1
            i += 2
            continue
        if c == "#" and not cur:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("<<", i) and not text.startswith("<<<", i):
            m = re.match(r"<<-?\s*(['\"]?)([A-Za-z_]+)\1", text[i:])
            if m:
                emit()
                heredocs.append(m.group(2))
                i += m.end()
                continue
        if c == "'":
            emit()
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            body = text[i + 1 : j]
            if shell_body():
                segs.extend(shell_segments(body, line))
            seg.append((ARG, line))
            line += body.count("\n")
            i = j + 1
            continue
        if c == '"':
            emit()
            j, parts = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith("$(", j) and not text.startswith("$((", j):
                    depth, k = 1, j + 2
                    while k < n and depth:
                        depth += {"(": 1, ")": -1}.get(text[k], 0)
                        k += 1
                    parts.append((text[j + 2 : k - 1], line + text[i:j].count("\n")))
                    j = k
                    continue
                j += 1
            body = text[i + 1 : j]
            if shell_body():
                segs.extend(shell_segments(body, line))
            else:
                for p, l in parts:
                    segs.extend(shell_segments(p, l))
            seg.append((ARG, line))
            line += body.count("\n")
            i = j + 1
            continue
        if c == "$":
            emit()
            if text.startswith("$(", i) and not text.startswith("$((", i):
                cut()
                i += 2
                continue
            if text.startswith("${", i) or text.startswith("$((", i):
                o, cl = ("{", "}") if text[i + 1] == "{" else ("(", ")")
                depth, k = 1, i + 2
                while k < n and depth:
                    depth += {o: 1, cl: -1}.get(text[k], 0)
                    k += 1
                i = k
            else:
                m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9#?@*!$-])", text[i:])
                i += m.end() if m else 1
            seg.append((ARG, line))
            continue
        if WORD.match(c):
            if not cur:
                cur_line = line
            cur += c
            i += 1
            continue
        if c in SEPARATORS:
            cut()
        else:
            emit()
        if c == "\n":
            line += 1
        i += 1
    cut()
    return segs


def command_words(seg):
    """the words of one simple command that are in program position"""
    words = [w for w, _ in seg]
    out, k = [], 0
    while k < len(words) and (words[k] in KEYWORDS or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[k])):
        k += 1
    todo = [k]
    while todo:
        k = todo.pop()
        if k >= len(words):
            continue
        if words[k] == ARG:  # "$TC" exec NODE PROGRAM
            if k + 1 < len(words) and words[k + 1] in NODE_WRAPPERS:
                todo.append(k + 1)
            continue
        out.append(seg[k])
        if words[k] in WRAPPERS:
            j = k + 1
            while j < len(words) and (re.fullmatch(r"-.+|[0-9.]+[smh]?", words[j]) or words[j] == ARG):
                j += 1
            todo += [j, j + 1] if words[k] in NODE_WRAPPERS else [j]
    return out


def functions_of(text):
    return set(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*\(\)", text, re.M))


def shell_files():
    files = ["demo.sh", "run-tests.sh", "debian/rules"]
    files += [f for f in glob.glob("tools/*") if os.path.isfile(f)]
    files += glob.glob("tests/run-*") + glob.glob("tests/**/*.sh", recursive=True)
    files += glob.glob("contrib/*.bash") + glob.glob("contrib/bash-completion/*")
    return sorted(f for f in set(files) if os.path.isfile(f))


def is_shell(path):
    with open(path, errors="replace") as f:
        first = f.readline()
    return (path.endswith((".sh", ".bash")) or path.startswith("contrib/bash-completion/")
            or "sh" in first and first.startswith("#!"))


def builtins():
    return set(sh("bash", "-c", "compgen -b; compgen -k").split())


def program_uses():
    """{program: [where]}, {program: [where]} (those named by command -v)"""
    uses, required = {}, {}
    skip = builtins() | NOT_PROGRAMS
    for f in shell_files():
        if not is_shell(f):
            continue
        text = open(f, errors="replace").read()
        funcs = functions_of(text)
        for no, l in enumerate(text.splitlines(), 1):
            if l.lstrip().startswith("#"):
                continue
            for prog in re.findall(r"command -v ([A-Za-z0-9_.+-]+)", l):
                required.setdefault(prog, []).append("%s:%d" % (f, no))
        if f == "tools/install-deps":
            continue  # its words are package names (the list itself)
        # case patterns ("  node | group)") are not commands: leave them out
        code = re.sub(r"^(\s*)[^()\s#]+(\s*\|\s*[^()\s]+)*\s*\)", r"\1", text, flags=re.M)
        words = [wl for seg in shell_segments(code) for wl in command_words(seg)]
        for w, l in words:
            if w in skip or w in funcs:
                continue
            if re.fullmatch(r"[a-z][a-z0-9._+-]*", w) or re.fullmatch(r"/(usr/)?s?bin/[a-z0-9._+-]+", w):
                uses.setdefault(w, []).append("%s:%d" % (f, l))
    # programs used through another one's option (tar --zstd)
    for f in shell_files() + glob.glob("tests/**/*.c", recursive=True) + glob.glob("src/**/*.c", recursive=True):
        text = open(f, errors="replace").read()
        for pat, prog in IMPLIED.items():
            m = re.search(pat, text)
            if m:
                required.setdefault(prog, []).append("%s:%d" % (f, text.count("\n", 0, m.start()) + 1))
    # the Makefile's recipes: their first words
    for no, l in enumerate(open("Makefile"), 1):
        if l.startswith("\t"):
            for w, _ in [s[0] for s in shell_segments(l.strip())[:1]]:
                if "/" in w and not w.startswith("/"):
                    continue  # the project's own scripts (tests/run-unit)
                uses.setdefault(w, []).append("Makefile:%d" % no)
    # C: absolute program paths in the daemon, agents and kits
    for f in glob.glob("src/**/*.c", recursive=True) + glob.glob("kits/*/src/*.c"):
        for no, l in enumerate(open(f, errors="replace"), 1):
            for p in re.findall(r'"(/(?:usr/)?s?bin/[a-z0-9._+-]+|/usr/lib/[a-z0-9_-]+/[a-z0-9/._-]+)"', l):
                uses.setdefault(p, []).append("%s:%d" % (f, no))
    # Python helpers: subprocess argument lists
    for f in glob.glob("tests/tools/*.py"):
        for no, l in enumerate(open(f, errors="replace"), 1):
            if re.search(r"subprocess|Popen|exec", l):
                for p in re.findall(r"\[\s*[\"']([a-z][a-z0-9._+-]*)[\"']", l):
                    uses.setdefault(p, []).append("%s:%d" % (f, no))
    return uses, required


def include_dirs():
    err = subprocess.run(["cpp", "-xc", "-v", "/dev/null", "-o", "/dev/null"], capture_output=True, text=True).stderr
    dirs, on = [], False
    for l in err.splitlines():
        if l.startswith("#include <...>"):
            on = True
        elif l.startswith("End of search"):
            on = False
        elif on:
            dirs.append(l.strip())
    pkgs = re.search(r"^PKGS := (.*?)(?<!\\)$", open("Makefile").read().replace("\\\n", " "), re.M)
    modules = pkgs.group(1).split() if pkgs else []
    for d in sh("pkg-config", "--cflags-only-I", *modules).split():
        dirs.append(d[2:])
    return dirs, modules


def main():
    os.chdir(ROOT)
    db = installed_db()
    listed = listed_packages()
    allowed = allowed_packages(listed, db)
    failed = 0

    checks = []  # (what, path or None, where)

    def judge(what, path, where):
        checks.append((what, path, where))

    uses, required = program_uses()
    for prog in sorted(required):
        if prog in OPTIONAL:
            continue
        judge("program %s" % prog, which(prog), required[prog][0])
    for prog in sorted(uses):
        if prog in required or os.path.basename(prog) in OPTIONAL:
            continue
        path = prog if prog.startswith("/") else which(prog)
        if prog.startswith("/") and not os.path.exists(prog):
            path = which(os.path.basename(prog))
        if path is None:
            continue  # a word, not a program (functions, arguments, data)
        if not path.startswith("/"):
            continue
        judge("program %s" % prog, path, uses[prog][0])

    # Python modules the helpers import, as Debian's python3 finds them
    for f in sorted(glob.glob("tests/tools/*.py")):
        for no, l in enumerate(open(f, errors="replace"), 1):
            m = re.match(r"\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", l)
            if not m:
                continue
            where = sh("/usr/bin/python3", "-I", "-c",
                       "import %s as m; print(getattr(m, '__file__', '') or 'builtin')" % m.group(1)).strip()
            if where != "builtin":
                judge("python module %s" % m.group(1), where or None, "%s:%d" % (f, no))

    dirs, modules = include_dirs()
    headers = {}
    for f in glob.glob("src/**/*.[ch]", recursive=True) + glob.glob("tests/**/*.[ch]", recursive=True) + \
            glob.glob("kits/*/src/*.[ch]"):
        for no, l in enumerate(open(f, errors="replace"), 1):
            m = re.match(r"\s*#\s*include\s*<([^>]+)>", l)
            if m:
                headers.setdefault(m.group(1), "%s:%d" % (f, no))
    for h in sorted(headers):
        path = next((os.path.join(d, h) for d in dirs if os.path.exists(os.path.join(d, h))), None)
        judge("header <%s>" % h, path, headers[h])
    for mod in modules:
        pc = sh("pkg-config", "--path", mod).strip()
        judge("pkg-config module %s" % mod, pc or None, "Makefile PKGS")
    pkg_of = owners([p for _, p, _ in checks if p])
    for what, path, where in checks:
        pkg = pkg_of.get(path) if path else None
        if pkg is None:
            failed += 1
            print("FAIL %s (used at %s): no Debian package on this machine provides it (%s); add the "
                  "package that does to tools/install-deps and run it" % (what, where, path or "not found"))
        elif pkg not in allowed:
            failed += 1
            print("FAIL %s (used at %s): %s comes from the package %s, which tools/install-deps "
                  "does not install; add %s to its PACKAGES" % (what, where, path, pkg, pkg))
        else:
            print("ok   %s: %s (%s)" % (what, path, pkg))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
