// `nx run <app>:<role> -- args` runs the program with the arguments exactly as typed: no shell, no npm.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

async function nx(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_')));
  return promisify(execFile)(join(ROOT, 'node_modules/.bin/nx'), args, {
    cwd: ROOT, env: { ...clean, ...env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
  }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
}

describe('nx run app:role -- args', () => {
  it('hands the arguments over verbatim: quotes, ;, $(...) and * reach the program as typed', async () => {
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for messages/);
    const text = "it's done; $(id) `id` * \"quoted\"";
    const sent = await nx(['run', 'hello:send', '--', text], vhost.env);
    expect(sent.code, sent.stderr).toBe(0);
    await receiver.waitFor(/Received/);
    expect(receiver.matching(/Received/)).toEqual([` [x] Received '${text}'`]);
    // The program's own line, nx's command line and summary: no npm lifecycle banner.
    expect(sent.stdout).toContain(` [x] Sent '${text}'`);
    expect(sent.stdout).not.toMatch(/^> @rabbit-tutorials|npm (ERR|error)/m);
  });

  it('options after -- go to the program, and a failure shows the program\'s one line', async () => {
    const bad = await nx(['run', 'task-queue:worker', '--', '--prefetch', '0'], vhost.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('error: --prefetch must be a whole number from 1 to 65535 (got "0")');
    expect(bad.stdout + bad.stderr).not.toMatch(/npm (ERR|error)/);
  });

  it('OTEL_TRACES_EXPORTER turns tracing on, METRICS_PORT metrics; unset, nothing of OpenTelemetry or prom-client is loaded', async () => {
    const probe = { NODE_OPTIONS: `--require ${join(ROOT, 'tools/nx-plugin/test/fixtures/count-telemetry-modules.cjs')}` };
    // No OTEL_SERVICE_NAME: the service is named after the app and role.
    const traced = await nx(['run', 'hello:send', '--', 'traced'], { ...vhost.env, ...probe, OTEL_TRACES_EXPORTER: 'console' });
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stdout).toMatch(/'service\.name': 'hello-send'/);
    expect(traced.stdout).toMatch(/'messaging\.system': 'rabbitmq'/);
    expect(Number(/\[telemetry modules\] send\.ts: (\d+)/.exec(traced.stderr)?.[1])).toBeGreaterThan(0);

    const measured = await nx(['run', 'hello:send', '--', 'measured'], { ...vhost.env, ...probe, METRICS_PORT: '0' });
    expect(measured.code, measured.stderr).toBe(0);
    expect(measured.stderr).toMatch(/^\[metrics\] http:\/\/127\.0\.0\.1:\d+\/metrics$/m);

    const plain = await nx(['run', 'hello:send', '--', 'plain'], { ...vhost.env, ...probe });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/messaging\.system|traceId/);
    expect(plain.stderr).toContain('[telemetry modules] send.ts: 0');
  });
});
