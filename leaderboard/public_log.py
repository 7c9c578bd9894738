"""What a submission's log may show the public: the job's own log lines, never a traceback or a server path.

A job runs in a child process whose output (``leaderboard.job``'s log, and whatever a library
prints) becomes the submission's ``log_tail``, which its status page and the API show to
anyone.  A crash there once published an SQLAlchemy traceback with the server's file paths, SQL
and bound parameters.  So the public text is built from an allow-list, not by deleting known bad
parts: only lines in the job's log format (``HH:MM:SS LEVEL message``) are kept, each as a
terminal showed it (a progress bar's ``\r`` redraws collapsed, a log line glued behind a bar
freed: :func:`as_shown`); a traceback becomes one line naming the exception class; anything that
looks like an absolute or home path becomes ``<path>``.  The worker writes the full, unfiltered log to its own log (the operator's),
so nothing is lost for debugging.
"""

from __future__ import annotations

import re

MAX_TAIL = 4000
MAX_LINE = 500

# The job's log format (leaderboard/worker_child.py logs in it) and the pattern that recognises its lines
JOB_LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
JOB_LOG_DATEFMT = "%H:%M:%S"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
RAISED = "the job raised "  # the line a traceback becomes (kept on a second pass: public_log is idempotent)
# "/etc/hostname", "~/.cache/x", "/srv/weights/model.bin" at the start of a word (after a space,
# a quote, "(", "=", "[", "{" or ","); not "beir/scifact", "https://host/a", "1/3" or "</b>".
PATH = re.compile(r"(?<![^\s'\"(=\[{,])~?/[^\s'\"()\[\]{}<>,;:]+")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s|:?$)")  # "psycopg.errors.NotNullViolation: null value …"
TRACEBACK = "Traceback (most recent call last):"
# where a log line or a traceback starts when something was printed before it without a line break
GLUED = re.compile(LOG_LINE.pattern.removeprefix("^") + "|" + re.escape(TRACEBACK))


def mask_paths(text: str) -> str:
    return PATH.sub("<path>", text)


def public_line(text: str) -> str:
    """One line for the public (an error message): paths masked, whitespace collapsed, bounded."""
    line = " ".join(mask_paths(text).split())
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def _exception_name(lines: list[str], start: int) -> tuple[str, int]:
    """The exception class of the traceback starting at ``start`` and the index after it."""
    i = start + 1
    while i < len(lines) and (not lines[i] or lines[i][0].isspace()):
        i += 1
    name = "an exception"
    if i < len(lines):
        match = EXCEPTION_LINE.match(lines[i])
        if match:
            name = match.group(1).rsplit(".", 1)[-1]
        i += 1
    return name, i


def as_shown(line: str) -> str:
    """A line of output as a terminal showed it: a progress bar's redraws collapsed, a glued log line freed.

    A progress bar redraws itself after a ``\r``; in a file every redraw stays on one line, so
    only the text after the last ``\r`` is what was shown.  A log line written while a bar was on
    screen follows the bar without a line break (``…| 64/300 [00:07<00:28]12:00:01 INFO …``), so
    a line that does not start with a log line or a traceback is taken from where one starts.
    """
    redraws = [part for part in line.split("\r") if part.strip()]
    shown = redraws[-1] if redraws else ""
    glued = GLUED.search(shown)
    return shown[glued.start() :] if glued else shown


def public_log(text: str, max_chars: int = MAX_TAIL) -> str:
    """The public form of a job's output (see the module docstring); the last ``max_chars``."""
    lines = [as_shown(line) for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(TRACEBACK):
            name, i = _exception_name(lines, i)
            line = f"{RAISED}{name}; its traceback is in the server's log"
            if not out or out[-1] != line:  # a chained exception ("The above exception was the direct cause…")
                out.append(line)
            continue
        if LOG_LINE.match(line) or line.startswith(RAISED):
            out.append(public_line(line))
        i += 1
    return "\n".join(out)[-max_chars:]


def crash_summary(text: str) -> str:
    """What a crashed job's public error says: its last public log line (a traceback's exception class)."""
    shown = [line for line in public_log(text).splitlines() if line.strip()]
    return shown[-1] if shown else "no output"
