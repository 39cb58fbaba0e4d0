# For tests/test_run_stacks.c: a Python program that makes a call, then execs
# the interpreter again on pystack_app.py (another image: the tracer must
# look for its interpreter anew).
#   pystack_exec.py LIBCUDA GO_FILE
import ctypes
import os
import sys

cu = ctypes.CDLL(sys.argv[1])
cu.cuInit(0)
p = ctypes.c_uint64()
cu.cuMemAlloc_v2(ctypes.byref(p), 64)  # @exec_alloc
app = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pystack_app.py")
os.execv(sys.executable, [sys.executable, app, sys.argv[1], sys.argv[2]])
