#!/usr/bin/env python3
"""Write the vmlinux BTF carried inside a raw kernel Image (arm64's boot
image is not ELF, so bpftool cannot find its .BTF section): the largest
well-formed BTF blob (magic 0xeb9f, version 1) in the file.

    scripts/image-btf.py Image out.btf
"""
import struct
import sys


def blobs(data):
    pos = data.find(b"\x9f\xeb\x01\x00")
    while pos >= 0:
        if pos + 24 <= len(data):
            hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<5I", data, pos + 4)
            end = pos + hdr_len + max(type_off + type_len, str_off + str_len)
            if hdr_len == 24 and type_off + type_len <= str_off and end <= len(data):
                yield data[pos:end]
        pos = data.find(b"\x9f\xeb\x01\x00", pos + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: image-btf.py Image out.btf")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    best = max(blobs(data), key=len, default=None)
    if best is None:
        sys.exit("image-btf: no BTF in %s: is it a kernel built with CONFIG_DEBUG_INFO_BTF?" % sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(best)


main()
