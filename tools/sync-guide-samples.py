#!/usr/bin/env python3
"""Rewrites every marked C# block of docs/guide from the region it names.

A block marked <!-- compiled: FILE#REGION --> must be byte for byte that region of FILE, less its shared
indentation (Autograd.Tests/Guide/GuideDocsTests checks this). After a sample changes (a rename the compiler
pointed at), run `python3 tools/sync-guide-samples.py` from the repository root to bring the pages up to date.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r'(<!-- compiled: ([^#\s]+)#(\S+) -->\n```csharp\n)(.*?)(\n```)', re.S)


def region(path, name):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        source = f.read().replace('\r\n', '\n')
    m = re.search(r'^[ \t]*#region ' + re.escape(name) + r'[ \t]*\n(.*?)\n[ \t]*#endregion', source, re.S | re.M)
    if not m:
        sys.exit(f'{path} has no region {name}')
    lines = [line.rstrip() for line in m.group(1).split('\n')]
    indent = min(len(line) - len(line.lstrip()) for line in lines if line)
    return '\n'.join(line[indent:] if line else line for line in lines)


guide = os.path.join(ROOT, 'docs', 'guide')
for page in sorted(os.listdir(guide)):
    if not page.endswith('.md'):
        continue
    path = os.path.join(guide, page)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    updated = BLOCK.sub(lambda m: m.group(1) + region(m.group(2), m.group(3)) + m.group(5), text)
    if updated != text:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(updated)
        print(f'updated {page}')
