// The worker's record of handled message ids: kept across restarts with a file, bounded in memory and on disk.
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HandledStore } from '../src/handled-store.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'handled-')), 'handled.log');

describe('HandledStore', () => {
  it('with a file, a new store (the worker started again) knows the ids recorded before; in memory only, it does not', () => {
    const path = file();
    const first = new HandledStore(path);
    first.record('a', 'done: one\ttab\nand a line');
    expect(first.has('a')).toBe(true);
    expect(new HandledStore(path).has('a')).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('a\tdone: one tab and a line\n'); // one line per message, whatever the result holds
    const memory = new HandledStore();
    memory.record('b', 'done');
    expect(new HandledStore().has('b')).toBe(false);
  });

  it('keeps the newest 100,000 ids, and rewrites a file grown past twice that with the newest only', () => {
    const path = file();
    writeFileSync(path, Array.from({ length: 250_000 }, (_, i) => `id-${i}\tdone\n`).join(''));
    const store = new HandledStore(path);
    expect(store.has('id-149999')).toBe(false);
    expect(store.has('id-150000')).toBe(true);
    expect(store.has('id-249999')).toBe(true);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(100_000);
    expect(lines[0]).toBe('id-150000\tdone');
    store.record('new', 'done');
    expect(store.has('id-150000')).toBe(false); // the oldest made room
    expect(store.has('new')).toBe(true);
  });

  it('bounded on disk and in memory whatever it is given: a result cut to 200 characters, a 0600 file, huge old lines read in chunks, no links', () => {
    const path = file();
    const store = new HandledStore(path);
    store.record('big', 'x'.repeat(5_000_000));
    expect(readFileSync(path, 'utf8')).toBe(`big\t${'x'.repeat(200)}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // A file an older version wrote: a 300 MB line (the whole body) is no problem to read.
    const old = file();
    const fd = openSync(old, 'w');
    writeSync(fd, 'huge\t');
    const mb = Buffer.alloc(1 << 20, 'y');
    for (let i = 0; i < 300; i++) writeSync(fd, mb);
    writeSync(fd, '\nafter\tdone\n');
    closeSync(fd);
    const reread = new HandledStore(old);
    expect(reread.has('huge')).toBe(true);
    expect(reread.has('after')).toBe(true);
    const link = join(mkdtempSync(join(tmpdir(), 'handled-')), 'link.log');
    symlinkSync(path, link);
    expect(() => new HandledStore(link)).toThrow(`--store ${link} is a symbolic link: give the file itself`);
    expect(readFileSync(path, 'utf8')).toBe(`big\t${'x'.repeat(200)}\n`);
  });
});
