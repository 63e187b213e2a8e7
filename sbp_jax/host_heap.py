"""Keep freed host memory for reuse, so that XLA:CPU's per-call temporaries are not page-faulted in
again on every step.

XLA:CPU allocates each call's temporary buffers afresh. glibc serves large blocks with `mmap` and
trims the heap top on `free`, so every train step hands megabytes back to the kernel and faults
them in again on the next. With mmap off for large blocks and trimming off, freed memory stays in
the process and the next call reuses it: on the 2-core CPU the demo-size train step ran 1.34x
faster with 7-14x fewer page faults, for 0.6-1 GiB more peak host memory (docs/performance.md).

The command-line tools that run models (train, evaluate, serve) call `keep_freed_memory()` at
start, before JAX starts its threads; set `SBP_RETURN_FREED_MEMORY=1` to keep glibc's defaults.
A no-op where libc is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

OPT_OUT_ENV = "SBP_RETURN_FREED_MEMORY"
# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
_NEVER = 2**31 - 1


def keep_freed_memory() -> bool:
    """Tell glibc to keep freed memory in the process; True when applied."""
    if os.environ.get(OPT_OUT_ENV, "").strip() not in ("", "0"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt)
        return False
    # One arena: a thread's own arena lives in 64 MiB sub-heaps that glibc unmaps whenever one
    # empties, whatever the trim threshold (so XLA's worker threads faulted their temporaries in
    # again); it applies to threads started after this call.
    settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, _NEVER), (_M_ARENA_MAX, 1))
    return all(mallopt(option, value) == 1 for option, value in settings)
