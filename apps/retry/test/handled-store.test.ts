// The worker's record of handled message ids: kept across restarts with a file, bounded in memory and on disk.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
});
