// The Docker path of the harness, checked where no Docker engine runs: the config we give the
// container on top of the image's own defaults, the restart done inside the container, the wait
// conditions, the certificate for a remote Docker host, and the pull progress.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { BrokerInfo } from '../src/broker.js';
import { generateCerts } from '../src/certs.js';
import { containerConf, CONTAINER_CONF, pullWithProgress, RESTART_IN_PLACE } from '../src/docker-broker.js';
import { startLikeImage } from '../src/image-node.js';
import { hasLocalRabbitmq, localEndpoint, type LocalBrokerSpec, rabbitmqctl, serverOutput } from '../src/local-broker.js';
import { amqpAnswers, waitUntilReady } from '../src/ready.js';

const noLocalNode = hasLocalRabbitmq() ? '' : ' (skipped: rabbitmq-server is not installed)';
describe.skipIf(Boolean(noLocalNode))(`the container config on the image defaults, run on a local node${noLocalNode}`, () => {
  let node: { spec: LocalBrokerSpec; stop: () => Promise<void> };
  beforeAll(async () => {
    // The container's file, byte for byte, under the name the harness copies it to.
    node = await startLikeImage(() => ({ [CONTAINER_CONF.replace(/.*\//, '')]: containerConf() }));
  }, 120_000);
  afterAll(() => node?.stop());

  it('keeps console logging on: the node logs "Server startup complete" to stdout', async () => {
    // The line follows the listeners by a moment: wait for it (with console logging off it never comes).
    await expect.poll(() => serverOutput(node.spec), { timeout: 15_000 }).toMatch(/Server startup complete/);
  });

  it('the restart done inside a container keeps durable data; clients are told (320) and reconnect to the same port', async () => {
    const endpoint = localEndpoint(node.spec);
    const url = `amqp://guest:guest@127.0.0.1:${endpoint.amqpPort}`;
    const before = await amqp.connect(url);
    const channel = await before.createConfirmChannel();
    await channel.assertQueue('survives-restart', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    channel.sendToQueue('survives-restart', Buffer.from('kept'), { persistent: true });
    await channel.waitForConfirms();
    const closed = new Promise<Error>((resolve) => before.once('close', resolve));
    before.on('error', () => undefined);

    for (const [command, ...args] of RESTART_IN_PLACE) {
      expect(command).toBe('rabbitmqctl');
      await rabbitmqctl(node.spec, args);
    }
    expect(String(await closed)).toMatch(/320/);
    await waitUntilReady(endpoint, { timeoutMs: 60_000 });

    const after = await amqp.connect(url);
    try {
      const { messageCount } = await (await after.createChannel()).checkQueue('survives-restart');
      expect(messageCount).toBe(1);
    } finally {
      await after.close();
    }
  }, 120_000);
});

describe('the wait conditions', () => {
  let silent: Server;
  let http: Server;
  beforeAll(async () => {
    silent = createServer(() => undefined); // accepts and says nothing, like Docker's port proxy before the broker listens
    http = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await Promise.all([silent, http].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  });
  afterAll(() => {
    silent.close();
    http.close();
  });
  const port = (s: Server) => (s.address() as { port: number }).port;

  it('an open port is not enough: AMQP must answer the protocol header', async () => {
    expect(await amqpAnswers('127.0.0.1', port(silent), 500)).toBe(false);
    expect(await amqpAnswers('127.0.0.1', port(http))).toBe(false);
  });

  it('the run\'s broker answers AMQP', async () => {
    const info = inject('broker' as never) as BrokerInfo; // what libs/testing's global setup provides
    expect(await amqpAnswers(info.hostname, info.port)).toBe(true);
  });

  it('waiting stops with the reason when the broker process has died', async () => {
    const endpoint = { host: '127.0.0.1', amqpPort: port(silent), managementUrl: `http://127.0.0.1:${port(http)}`, username: 'guest', password: 'guest' };
    await expect(waitUntilReady(endpoint, { failed: () => 'rabbitmq-server exited with 1' })).rejects.toThrow('rabbitmq-server exited with 1');
    await expect(waitUntilReady(endpoint, { timeoutMs: 300 })).rejects.toThrow(/not ready after 300 ms/);
  });
});

describe('the container certificate', () => {
  it('names the Docker host, so TLS verifies against a remote engine too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certs-test-'));
    try {
      const certs = generateCerts(dir, ['docker.example.test', '192.0.2.10']);
      const san = new X509Certificate(readFileSync(certs.serverCert)).subjectAltName;
      expect(san).toBe('DNS:localhost, IP Address:127.0.0.1, DNS:docker.example.test, IP Address:192.0.2.10');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pulling the image', () => {
  it('says it is pulling, and every 15 s that it still is', async () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      let finish!: () => void;
      const pulled = pullWithProgress(async () => false, () => new Promise<void>((resolve) => (finish = resolve)), (l) => lines.push(l));
      await vi.advanceTimersByTimeAsync(31_000);
      finish();
      await pulled;
      expect(lines).toEqual([
        expect.stringMatching(/^\[broker\] pulling rabbitmq:4\.3-management \(first run only/),
        '[broker] still pulling rabbitmq:4.3-management (15 s)',
        '[broker] still pulling rabbitmq:4.3-management (30 s)',
        '[broker] pulled rabbitmq:4.3-management in 31 s',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says nothing when the image is there', async () => {
    const lines: string[] = [];
    await pullWithProgress(async () => true, () => Promise.reject(new Error('must not pull')), (l) => lines.push(l));
    expect(lines).toEqual([]);
  });
});
