import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { queueDepth, useVhost } from '@rabbit-tutorials/testing';
import { loadConfig } from '../src/index.js';

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

  describe('.env', () => {
    const vhost = useVhost();
    // hello's send run as a user runs it (tsx, no nx) in a folder with a .env, with no RABBITMQ_ variable of its own.
    const send = (dotenv: string, env: Record<string, string> = {}) => {
      const dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
      try {
        writeFileSync(join(dir, '.env'), dotenv, { mode: 0o600 });
        const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RABBITMQ_')));
        // tsx by its path: --import resolves a package name from the working directory, here outside the repository.
        return spawnSync(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'apps/hello/src/send.ts'), 'from .env'],
          { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { ...clean, ...env } });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    // The test broker's address, user and password in .env; its vhost in the environment. Without .env the
    // program would try localhost:5672 with a vhost that exists only on the test broker, and fail there.
    const dotenv = (extra = '') => {
      const { hostname, port, username, password } = loadConfig({ RABBITMQ_URL: vhost.env.RABBITMQ_URL });
      return `# the test's private broker\nRABBITMQ_HOST=${hostname}\nRABBITMQ_PORT=${port}\nRABBITMQ_USER=${username}\nRABBITMQ_PASSWORD=${password}\n${extra}`;
    };

    it('a program run with tsx reads .env in the working directory: the broker named there gets the message', async () => {
      const result = send(dotenv(), { RABBITMQ_VHOST: vhost.name });
      expect(result.status, result.stderr).toBe(0);
      expect(await queueDepth(await vhost.connect(), 'hello')).toBe(1);
    });

    it('a variable set in the environment wins over .env', async () => {
      const result = send(dotenv('RABBITMQ_VHOST=not-this-one\n'), { RABBITMQ_VHOST: vhost.name });
      expect(result.status, result.stderr).toBe(0);
      expect(await queueDepth(await vhost.connect(), 'hello')).toBe(1);
    });
  });
});
