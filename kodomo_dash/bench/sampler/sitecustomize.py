"""Where the app server's script threads spend their time under load (decision 068); inert elsewhere.

The load step starts the server with this folder on PYTHONPATH and KODOMO_BENCH_SAMPLE naming a
JSON file; Python then imports this module at start-up. A daemon thread samples every script
thread's stack every 20 ms and writes, every 2 s, how many samples it took and how many of them
stood innermost in the casework handle (``kodomo_dash/infra/db.py``, ``_Casework.unit``:
attaching, detaching) and how many of those at its ``with self.lock:`` — waiting for the one
attachment of the casework file a process may hold — and in the encrypted attach. Without KODOMO_BENCH_SAMPLE it does nothing.
"""

from __future__ import annotations

import os

_TARGET = os.environ.get("KODOMO_BENCH_SAMPLE")

if _TARGET:
    import collections
    import json
    import linecache
    import sys
    import threading
    import time

    def _sample(counts: collections.Counter) -> None:
        me = threading.get_ident()
        while True:
            time.sleep(0.02)
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                inner, f, script = frame, frame, False
                while f is not None:
                    if f.f_code.co_name == "_run_script_thread":
                        script = True
                        break
                    f = f.f_back
                if not script:
                    continue
                counts["script_samples"] += 1
                where = inner.f_code.co_filename
                if where.endswith(os.path.join("infra", "db.py")) and inner.f_code.co_name == "unit":
                    counts["casework_handle"] += 1
                    if linecache.getline(where, inner.f_lineno).strip() == "with self.lock:":
                        counts["casework_lock_wait"] += 1
                elif where.endswith(os.path.join("infra", "encryption.py")):
                    counts["encrypted_attach"] += 1

    def _dump(counts: collections.Counter) -> None:
        while True:
            time.sleep(2)
            tmp = f"{_TARGET}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(dict(counts), fh)
            os.replace(tmp, _TARGET)

    _counts: collections.Counter = collections.Counter()
    threading.Thread(target=_sample, args=(_counts,), daemon=True, name="kodomo-bench-sampler").start()
    threading.Thread(target=_dump, args=(_counts,), daemon=True, name="kodomo-bench-sampler-dump").start()
