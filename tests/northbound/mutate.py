#!/usr/bin/env python3
# Mutation test of weftctl import (docs/northbound.md): every value of every
# input under tests/northbound/ is replaced in turn by a map, a list, null,
# nested structures, strings and numbers; each import, with and without
# --allow-partial, must end with exit 0 or 1 (translated or refused), never a
# crash or a sanitizer report. usage: mutate.py WEFTCTL SRCDIR
import glob
import os
import re
import subprocess
import sys

ctl, src = sys.argv[1], sys.argv[2]
subs = ['{}', '[]', '~', '[{x: 1}]', '"s"', '12', '-5', '{a: [1, {b: c}]}', '[[1]]', 'true',
        '1.5', '"*"', '"/"', '""']
bad = runs = 0
for f in sorted(glob.glob(os.path.join(src, 'tests/northbound/*/*.yaml'))):
    lines = open(f).read().split('\n')
    for i, line in enumerate(lines):
        if line.lstrip().startswith('#'):
            continue
        m = re.match(r'^(\s*(?:- )?[A-Za-z0-9_.\-/]+: )(.+)$', line) or \
            re.match(r'^(\s*- )(.+)$', line)
        if not m:
            continue
        for s in subs:
            text = '\n'.join(lines[:i] + [m.group(1) + s] + lines[i + 1:])
            for extra in ([], ['--allow-partial']):
                p = subprocess.run([ctl, 'import', '-f', '-'] + extra, input=text.encode(),
                                   capture_output=True, timeout=30)
                runs += 1
                err = p.stderr.decode(errors='replace')
                if p.returncode not in (0, 1) or 'Sanitizer' in err or 'runtime error' in err:
                    bad += 1
                    print('FAIL %s:%d value %r %s: exit %d' % (f, i + 1, s, extra, p.returncode))
                    print(err[-1500:])
print('%d imports, %d failed' % (runs, bad))
sys.exit(1 if bad else 0)
