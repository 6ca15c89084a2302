// The compose setup, checked without Docker (the file, the users, the permissions on a real broker)
// and, where a Docker engine runs, brought up for real.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, broker, management, runApp, startApp } from '@rabbit-tutorials/testing';
import { dockerAvailable } from '../../libs/testing/src/docker-broker.js';

const INFRA = join(ROOT, 'infra');
type Service = { command?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>;
  image?: string; healthcheck?: { test: string[] }; volumes?: string[]; ports?: string[]; container_name?: string };
const compose = parse(readFileSync(join(INFRA, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const tls = parse(readFileSync(join(INFRA, 'docker-compose.tls.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const definitions = JSON.parse(readFileSync(join(INFRA, 'rabbitmq/definitions.json'), 'utf8')) as {
  users: { name: string; password_hash: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
};
const appServices = Object.entries(compose.services).filter(([name]) => name !== 'rabbitmq');

/** Every program of every pattern app (package.json scripts running src/<role>.ts), except tools. */
const roles = readdirSync(join(ROOT, 'apps')).filter((app) => !['demo', 'inspect'].includes(app)).flatMap((app) => {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')).scripts as Record<string, string>;
  return Object.entries(scripts).filter(([name]) => name !== 'bench').map(([, command]) => `apps/${app}/${command.replace(/^tsx /, '')}`);
});

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)). */
function passwordMatches(hash: string, password: string): boolean {
  const bytes = Buffer.from(hash, 'base64');
  const salt = bytes.subarray(0, 4);
  return createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest().equals(bytes.subarray(4));
}

describe('infra/docker-compose.yml', () => {
  it('runs RabbitMQ 4.x with a healthcheck, its config and the definitions', () => {
    const rabbit = compose.services.rabbitmq!;
    expect(rabbit.image).toMatch(/^rabbitmq:4\.\d+-management$/);
    expect(rabbit.healthcheck?.test.join(' ')).toMatch(/rabbitmq-diagnostics/);
    for (const file of ['rabbitmq.conf', 'definitions.json']) {
      expect(rabbit.volumes!.some((v) => v.startsWith(`./rabbitmq/${file}:`))).toBe(true);
      expect(existsSync(join(INFRA, 'rabbitmq', file))).toBe(true);
    }
  });

  it.each(roles)('has a service running %s', (role) => {
    expect(appServices.some(([, s]) => s.command?.join(' ').includes(role))).toBe(true);
  });

  it.each(appServices.map(([name]) => name))('%s: waits for a healthy broker and logs in as its own least-privilege user', (name) => {
    const service = compose.services[name]!;
    expect(service.depends_on?.rabbitmq?.condition).toBe('service_healthy');
    const env = service.environment!;
    expect(env).toMatchObject({ RABBITMQ_HOST: 'rabbitmq', RABBITMQ_VHOST: 'tutorials' });
    const user = definitions.users.find((u) => u.name === env.RABBITMQ_USER);
    expect(user, `user ${env.RABBITMQ_USER} in definitions.json`).toBeDefined();
    expect(passwordMatches(user!.password_hash, env.RABBITMQ_PASSWORD!)).toBe(true);
    expect(definitions.permissions.find((p) => p.user === env.RABBITMQ_USER)).toMatchObject({ vhost: 'tutorials' });
    expect(env.RABBITMQ_USER).not.toBe('guest');
    for (const arg of service.command!) if (arg.startsWith('apps/') || arg.startsWith('infra/')) expect(existsSync(join(ROOT, arg)), arg).toBe(true);
  });

  it('the worker service can be scaled (no fixed name or port)', () => {
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('the TLS override switches every app to amqps with the CA, and the broker to a TLS listener', () => {
    expect(Object.keys(tls.services).sort()).toEqual(Object.keys(compose.services).sort());
    for (const [name] of appServices) expect(tls.services[name]!.environment).toMatchObject({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/certs/ca.pem' });
    expect(tls.services.rabbitmq!.volumes).toContain('./rabbitmq/tls.conf:/etc/rabbitmq/conf.d/91-tls.conf:ro');
    expect(existsSync(join(INFRA, 'certs/generate.sh'))).toBe(true);
  });
});

describe('the compose users on a real broker', () => {
  it('each app works in vhost "tutorials" as its own user, and cannot touch another app\'s resources', async () => {
    const api = management();
    await api.request('POST', '/definitions', definitions);
    const info = broker();
    const as = (service: string) => {
      const env = compose.services[service]!.environment!;
      return { RABBITMQ_URL: `amqp://${env.RABBITMQ_USER}:${env.RABBITMQ_PASSWORD}@${info.hostname}:${info.port}/tutorials`, RABBITMQ_CONNECTION_ATTEMPTS: '1' };
    };
    try {
      const pairs: [string, string, string[], string, string, string[], RegExp][] = [
        ['hello-receive', 'hello', [], 'receive', 'send', ['hi'], /Received 'hi'/],
        ['worker', 'task-queue', ['--dot-ms', '0'], 'worker', 'new-task', ['job'], /Done job/],
        ['fanout-logs-receive', 'fanout-logs', [], 'receive', 'emit', ['x'], / \[x\] x$/],
        ['direct-logs-receive', 'direct-logs', ['error'], 'receive', 'emit', ['error', 'e'], /error:e/],
        ['topic-logs-receive', 'topic-logs', ['#'], 'receive', 'emit', ['a.b', 't'], /a\.b:t/],
        ['headers-logs-receive', 'headers-logs', ['any', 'k=v'], 'receive', 'emit', ['k=v', 'h'], /:h$/],
        ['rpc-server', 'rpc-fib', [], 'server', 'client', ['10'], /Awaiting/],
      ];
      for (const [service, app, consumerArgs, consumer, producer, producerArgs, expected] of pairs) {
        const running = startApp(app, consumer, consumerArgs, as(service));
        await running.waitFor(/Waiting|Awaiting/);
        const sent = await runApp(app, producer, producerArgs, as(service));
        expect(sent.code, `${app} ${producer}: ${sent.stderr}`).toBe(0);
        await running.waitFor(expected);
        await running.stop();
      }
      expect((await runApp('publisher-confirms', 'publish', ['--count', '50'], as('publisher-confirms'))).code).toBe(0);

      // Least privilege: the hello user may not declare the task queue.
      const denied = await runApp('task-queue', 'new-task', ['x'], as('hello-send'));
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/access to queue 'task_queue' in vhost 'tutorials' refused for user 'hello' \(403 ACCESS_REFUSED\)/);
    } finally {
      await api.deleteVhost('tutorials');
      for (const user of definitions.users) await api.deleteUser(user.name);
    }
  }, 120_000);
});

describe('docker compose up (needs a Docker engine)', async () => {
  const docker = await dockerAvailable();
  it.skipIf(!docker)(`brings every service up and hello flows end to end${docker ? '' : ' (skipped: no Docker engine reachable)'}`, async () => {
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');
    const environment = await new DockerComposeEnvironment(INFRA, 'docker-compose.yml')
      .withBuild()
      .withWaitStrategy('rabbitmq-1', Wait.forHealthCheck())
      .withStartupTimeout(300_000)
      .up();
    try {
      const receiver = environment.getContainer('hello-receive-1');
      for (let i = 0; i < 60; i++) {
        const logs = await new Promise<string>((resolve) => {
          let text = '';
          void receiver.logs().then((stream) => {
            stream.on('data', (d: Buffer) => (text += d.toString()));
            setTimeout(() => resolve(text), 1000);
          });
        });
        if (logs.includes("Received 'Hello from compose!'")) return;
      }
      throw new Error('hello-receive printed no message from hello-send');
    } finally {
      await environment.down();
    }
  }, 600_000);
});
