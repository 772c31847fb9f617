#!/usr/bin/env bash
# Makes TorchSharp 0.107's libLibTorchSharp.so load on a libstdc++ older than GCC 13's (Debian 12 has GCC 12's), for the
# peers' table only. The library needs one symbol of version GLIBCXX_3.4.32: std::ios_base_library_init, GCC 13's hook
# that ties a module's iostreams start-up to libstdc++'s. This script, run on the built peer (idempotent):
#   1. drops that symbol's version and points the GLIBCXX_3.4.32 requirement at GLIBCXX_3.4.18 (present in GCC 12's
#      libstdc++), so the loader's version check passes;
#   2. builds libiosinit.so (iosinit.cpp: the symbol, constructing the iostreams initializer) next to it and adds it as
#      a needed library with $ORIGIN as the search path.
# Nothing else of LibTorch changes. Needs patchelf, g++, python3 and readelf (binutils).
#   tools/peers/torchsharp/fit-libstdcxx.sh [native dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
native=${1:-$here/bin/Release/net10.0/runtimes/linux-x64/native}
lib=$native/libLibTorchSharp.so
[[ -f $lib ]] || { echo "fit-libstdcxx.sh: $lib not found (build tools/peers/torchsharp first)" >&2; exit 1; }
if ! ldd "$lib" 2>&1 | grep -q "GLIBCXX_3.4.32' not found"; then exit 0; fi
for tool in patchelf g++ readelf python3; do
    command -v $tool >/dev/null || { echo "fit-libstdcxx.sh: $tool is missing (apt-get install -y patchelf g++ binutils python3)" >&2; exit 1; }
done
patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"
python3 - "$lib" <<'PY'
import re, struct, subprocess, sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
sections = subprocess.check_output(['readelf', '-SW', path]).decode()
def offset(name):
    return int(re.search(re.escape(name) + r'\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)', sections).group(1), 16)
verneed, dynstr = offset('.gnu.version_r'), offset('.dynstr')
def string(at):
    return data[dynstr + at:data.index(b'\0', dynstr + at)].decode()
aux = {}   # version name -> (file offset of its Elf64_Vernaux, hash, name offset)
pos = verneed
while True:
    _, count, _, first, following = struct.unpack_from('<HHIII', data, pos)
    at = pos + first
    for _ in range(count):
        hash_, _, _, name, step = struct.unpack_from('<IHHII', data, at)
        aux[string(name)] = (at, hash_, name)
        at += step
    if following == 0:
        break
    pos += following
old, new = aux['GLIBCXX_3.4.32'], aux['GLIBCXX_3.4.18']
struct.pack_into('<I', data, old[0], new[1])       # vna_hash
struct.pack_into('<I', data, old[0] + 8, new[2])   # vna_name
tmp = path + '.tmp'
open(tmp, 'wb').write(data)
import os; os.replace(tmp, path)
PY
g++ -O2 -shared -fPIC -o "$native/libiosinit.so" "$here/iosinit.cpp"
patchelf --add-needed libiosinit.so --set-rpath '$ORIGIN' "$lib"
echo "fit-libstdcxx.sh: $lib now loads with this libstdc++ (GLIBCXX_3.4.32 requirement replaced, libiosinit.so added)"
