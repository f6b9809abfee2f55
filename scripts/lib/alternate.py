#!/usr/bin/env python3
"""Times two commands against each other: RUNS runs of each, alternating
(A, B, A, B, ...) so that both see the same machine load, and prints
"median_a median_b peak_kib_a peak_kib_b" (seconds; the peak RSS that
wait4 reports for the last run of each, which includes this interpreter's
pages from before the exec: use /usr/bin/time for memory). The wall time is taken around the process itself (fork to
exit, via os.wait4), so no shell, env or /usr/bin/time start-up is counted
for either side.

  alternate.py RUNS ENVFILE CWD_A ARGS_A... -- CWD_B ARGS_B...

The environment of both is exactly ENVFILE's KEY=VALUE lines; a line
`A:KEY=VALUE` or `B:KEY=VALUE` applies to one side only.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    runs, envfile, rest = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    split = rest.index("--")
    sides = {"A": rest[:split], "B": rest[split + 1:]}
    env = {"A": {}, "B": {}}
    with open(envfile) as f:
        for line in f.read().splitlines():
            if not line:
                continue
            side, kv = (line[0], line[2:]) if line[:2] in ("A:", "B:") else ("", line)
            k, v = kv.split("=", 1)
            for s in ("A", "B"):
                if side in ("", s):
                    env[s][k] = v
    times = {"A": [], "B": []}
    peak = {"A": 0, "B": 0}
    for _ in range(runs):
        for s in ("A", "B"):
            cwd, args = sides[s][0], sides[s][1:]
            with tempfile.TemporaryFile() as err:
                start = time.perf_counter()
                p = subprocess.Popen(args, cwd=cwd, env=env[s], stdout=subprocess.DEVNULL,
                                     stderr=err)
                _, status, usage = os.wait4(p.pid, 0)
                elapsed = time.perf_counter() - start
                p.returncode = os.waitstatus_to_exitcode(status)
                if p.returncode != 0:
                    err.seek(0)
                    sys.stderr.write(err.read().decode(errors="replace"))
                    sys.exit(f"command failed ({p.returncode}): {' '.join(args)}")
            times[s].append(elapsed)
            peak[s] = usage.ru_maxrss
    print(f"{statistics.median(times['A']):.4f} {statistics.median(times['B']):.4f} "
          f"{peak['A']} {peak['B']}")


if __name__ == "__main__":
    main()
