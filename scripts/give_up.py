"""supervisord event listener of the local stack: give up on a process that keeps crashing.

supervisord starts a process that exits again at once, and gives up by itself only on one
that fails within `startsecs` of its start. On a slow machine a process that cannot work
(a bad setting, say) may take longer than that to fail, and would be restarted forever. This
listener stops a process that exited unexpectedly more than STACK_START_RETRIES times within
STACK_CRASH_WINDOW seconds, whatever the length of each run, and writes "gave up: NAME ..."
to its log, which `make logs`, `make up` and `make status` read. Run by supervisord
(scripts/stack.sh writes its [eventlistener:give_up] section).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict, deque

from supervisor import childutils

__all__ = ["main"]


def main() -> None:
    retries = int(os.environ.get("STACK_START_RETRIES", "3"))
    window = float(os.environ.get("STACK_CRASH_WINDOW", "120"))
    rpc = childutils.getRPCInterface(os.environ)
    exits: defaultdict[str, deque[float]] = defaultdict(deque)
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"] == "PROCESS_STATE_EXITED":
            fields, _ = childutils.eventdata(payload + "\n")
            if fields.get("expected") == "0":
                name = f"{fields['groupname']}:{fields['processname']}"
                now = time.monotonic()
                times = exits[name]
                times.append(now)
                while now - times[0] > window:
                    times.popleft()
                if len(times) > retries:
                    try:
                        rpc.supervisor.stopProcess(name, False)
                    except Exception as exc:  # it may have stopped or died meanwhile
                        print(f"give_up: stopping {name}: {exc}", file=sys.stderr, flush=True)
                    print(
                        f"gave up: {fields['processname']} exited {len(times)} times within "
                        f"{window:.0f} s; it is stopped",
                        file=sys.stderr,
                        flush=True,
                    )
                    times.clear()
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
