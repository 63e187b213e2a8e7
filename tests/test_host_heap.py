"""Kept host heap: large blocks come from the heap (reused), not from mmap (returned on free)."""

import subprocess
import sys
from pathlib import Path

import pytest

from sbp_jax import host_heap

ROOT = Path(__file__).resolve().parents[1]

# Allocates a 64 MiB block with libc's malloc and prints by how many bytes that grew glibc's
# mmapped regions (mallinfo2's hblkhd): a block that size is always mmapped by default (above the
# largest dynamic mmap threshold, 32 MiB) and so handed back to the kernel when freed, while a
# kept heap serves it from the heap, where the next call reuses it. Run in a fresh interpreter so
# the test process's heap policy is left alone.
_PROBE = """
import ctypes, sys
from sbp_jax.host_heap import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split())]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "keep":
    assert keep_freed_memory()
before = libc.mallinfo2().hblkhd
block = libc.malloc(64 * 2**20)
print(libc.mallinfo2().hblkhd - before)
libc.free(block)
"""


def _mmapped_bytes(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and mallinfo2")
def test_kept_heap_serves_large_blocks_from_the_heap():
    assert _mmapped_bytes("default") >= 64 * 2**20
    assert _mmapped_bytes("keep") == 0


def test_opt_out_by_environment(monkeypatch):
    monkeypatch.setenv(host_heap.OPT_OUT_ENV, "1")
    assert host_heap.keep_freed_memory() is False
