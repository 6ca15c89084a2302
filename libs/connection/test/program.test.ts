import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

describe('main()', () => {
  it('exits 1 with one line when the program fails while a client is still open', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'libs/connection/test/fixtures/fails-while-open.ts')],
      { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    expect(result.signal, 'still running after 10 s').toBeNull();
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('error: the stream is not there\n');
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
