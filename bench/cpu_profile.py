"""Run `socialboost` under cProfile charged in CPU time, not wall time (a loaded machine's
waits for a core would otherwise swamp the figures): BENCH_PROFILE_CPU=<file> in http_load."""

from __future__ import annotations

import cProfile
import os
import sys
import time

from bot.cli import main

if __name__ == "__main__":
    profile = cProfile.Profile(time.process_time)
    sys.argv = ["socialboost", *sys.argv[1:]]
    try:
        profile.runcall(main)
    except SystemExit:
        pass
    finally:
        profile.dump_stats(os.environ["BENCH_PROFILE_CPU"])
