import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { AppProcess, ROOT, freePort, hasLocalRabbitmq } from '@rabbit-tutorials/broker';

describe('npm run broker', () => {
  it.skipIf(!hasLocalRabbitmq())('starts a local node on the port asked for, prints how to reach it, and removes it on Ctrl+C', async () => {
    const [port, prometheusPort] = [await freePort(), await freePort()];
    const args = ['--port', String(port), '--prometheus-port', String(prometheusPort)];
    // A standard port taken (here the stream TLS port 5551, held by the test if nothing else holds it): it says where it went.
    const holder: Server | undefined = await new Promise((resolve) => {
      const server = createServer().once('error', () => resolve(undefined)).listen(5551, '127.0.0.1', () => resolve(server));
    });
    // In a process group of its own, signalled as a terminal's Ctrl+C signals every process of it.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/broker/src/broker.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const cli = new AppProcess(child, 'npm run broker');
    try {
      await cli.waitFor(/^Ctrl\+C stops it/, 1, 90_000);
      const url = /RABBITMQ_URL=(amqp:\/\/\S+)/.exec(cli.stdout.join('\n'))![1]!;
      expect(url).toBe(`amqp://guest:guest@127.0.0.1:${port}/`);
      const dataDir = /\(data in (\S+)\)/.exec(cli.stderr.join('\n'))![1]!;
      const moved = cli.stderr.find((line) => line.includes('port(s) in use'));
      expect(moved).toMatch(/listens elsewhere: .*stream over TLS 5551 -> \d+/);
      expect(moved).not.toMatch(/AMQP 5672|Prometheus/); // the ports asked for are not moved ones
      const connection = await connect({ config: loadConfig({ RABBITMQ_URL: url }) });
      await connection.close();
      // The classic tutorial programs' vhost, open to guest.
      await (await connect({ config: loadConfig({ RABBITMQ_URL: `${url}demo` }) })).close();
      expect(cli.stdout.join('\n')).toMatch(/RABBITMQ_SSL_CA=\S+ca\.pem/);
      // The broker's metrics, for Prometheus.
      const metricsUrl = /Prometheus \(rabbitmq_prometheus\): (\S+)/.exec(cli.stdout.join('\n'))![1]!;
      expect(metricsUrl).toBe(`http://127.0.0.1:${prometheusPort}/metrics`);
      expect(await (await fetch(metricsUrl)).text()).toMatch(/^rabbitmq_identity_info\{/m);
      // It keeps running until told to stop.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(cli.child.exitCode).toBeNull();
      // Ctrl+C, and Ctrl+C again during the clean-up: the second does not cut it short.
      process.kill(-child.pid!, 'SIGINT');
      await cli.waitFor(/stopping and removing its data/);
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch (err) {
        // Gone already: the clean-up was done before the second Ctrl+C (RabbitMQ 4 stops in well under a second).
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      expect((await cli.exited).code).toBe(0);
      expect(existsSync(dataDir)).toBe(false);
      const refused = await connect({ config: loadConfig({ RABBITMQ_URL: url, RABBITMQ_CONNECTION_ATTEMPTS: '1' }) }).then(() => 'connected', (e: Error) => e.message);
      expect(refused).toMatch(/connection refused/);
    } finally {
      holder?.close();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 120_000);

  it.skipIf(!hasLocalRabbitmq())('`npm run broker` stopped by a SIGTERM to npm alone (a supervisor, a script\'s kill) stops and removes its node', async () => {
    const port = await freePort();
    // Its own process group, so that whatever it leaves behind can be stopped after the test.
    const npm = spawn('npm', ['run', '--silent', 'broker', '--', '--port', String(port), '--prometheus-port', String(await freePort())],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const cli = new AppProcess(npm, 'npm run broker');
    try {
      await cli.waitFor(/^Ctrl\+C stops it/, 1, 90_000);
      const dataDir = /\(data in (\S+)\)/.exec(cli.stderr.join('\n'))![1]!;
      const exited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM'); // to npm alone, which passes it to its script's process
      await exited;
      await expect.poll(() => existsSync(dataDir), { timeout: 30_000 }).toBe(false);
      const refused = await connect({ config: loadConfig({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/`, RABBITMQ_CONNECTION_ATTEMPTS: '1' }) })
        .then(() => 'connected', (e: Error) => e.message);
      expect(refused).toMatch(/connection refused/);
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGINT'); // what is left of its group (nothing, unless the test failed): Ctrl+C
      } catch {
        // all gone
      }
    }
  }, 120_000);
});
