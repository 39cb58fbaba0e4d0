# A Python program that calls the stand-in driver through ctypes, for
# tests/test_run_stacks.c: known functions at known lines. A line marked
# "# @NAME" is where the test expects a frame to point (it reads the marks
# from this file: edit freely). ctypes releases the GIL for every foreign
# call, as PyTorch's C++ does around its launches.
#   pystack_app.py LIBCUDA [GO_FILE]: after cuInit, make GO_FILE.ready and wait for GO_FILE to exist
import ctypes
import os
import sys
import threading
import time


def launch(cu, f, n):
    for _ in range(n):
        cu.cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, None, None, None)  # @launch


class Model:
    def step(self, cu, f):
        launch(cu, f, 2)  # @step_launch
        p = ctypes.c_uint64()
        cu.cuMemAlloc_v2(ctypes.byref(p), 4096)  # @alloc
        cu.cuMemFree_v2(p)  # @free


def worker(cu, f):
    launch(cu, f, 3)  # @worker_launch


def main():
    cu = ctypes.CDLL(sys.argv[1])
    cu.cuInit(0)
    m, f = ctypes.c_void_p(), ctypes.c_void_p()
    cu.cuModuleLoadData(ctypes.byref(m), b"x")
    cu.cuModuleGetFunction(ctypes.byref(f), m, b"py_kernel")
    if len(sys.argv) > 2:
        open(sys.argv[2] + ".ready", "w").close()  # the test: it waits now
    while len(sys.argv) > 2 and not os.path.exists(sys.argv[2]):
        time.sleep(0.01)
    Model().step(cu, f)  # @main_step
    t = threading.Thread(target=worker, args=(cu, f))
    t.start()
    t.join()
    cu.cuCtxSynchronize()  # @sync


main()  # @module
