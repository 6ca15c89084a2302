// The compose setup, checked without Docker (the file's rules, its scripts, the broker's config and
// users on a local node configured as the image would be) and, where Docker runs, brought up for real.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeV2, dockerAvailable, eventually, hasLocalRabbitmq, ROOT, runApp, startApp, startLikeImage } from '@rabbit-tutorials/testing';
import { urlHost } from '@rabbit-tutorials/broker';
import { loadStreamConfig } from '@rabbit-tutorials/stream';

/** Is an haproxy that reads the config (3.1 or later: init-state) on PATH? Debian 12's is 2.6. */
function hasHaproxy(): boolean {
  const version = /HAProxy version (\d+)\.(\d+)/.exec(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout ?? '');
  return version !== null && Number(version[1]) * 100 + Number(version[2]) >= 301;
}

const INFRA = join(ROOT, 'infra');
type Service = {
  command?: string[]; environment?: Record<string, string>; hostname?: string; entrypoint?: string[]; depends_on?: Record<string, { condition: string }>;
  image?: string; build?: { context: string; dockerfile: string }; pull_policy?: string; healthcheck?: { test: string[] };
  volumes?: string[]; ports?: string[]; container_name?: string; network_mode?: string;
};
type Compose = { services: Record<string, Service> };

/** Compose's variable interpolation: ${VAR}, ${VAR:-default} / ${VAR-default}, ${VAR:?error}; $$ is a $. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g, (whole, name: string, colon: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[name];
    const unset = value === undefined || (colon === ':' && value === '');
    if (op === '?' && unset) throw new Error(`${name}: ${arg}`);
    if (op === '-' && unset) return arg!;
    return value ?? '';
  });
}

/** KEY=VALUE lines of an env file. */
function readEnv(file: string): Record<string, string> {
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((line) => /^\w+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/** infra/make-env.mjs run into `out`, as a user runs it (default out: infra/). */
function makeEnv(out: string): void {
  execFileSync(process.execPath, [join(INFRA, 'make-env.mjs'), '--out', out], { stdio: 'ignore' });
}
/** The variable holding a user's password: task-queue → TASK_QUEUE_PASSWORD. */
const variable = (user: string) => `${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
const SECRETS = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
makeEnv(SECRETS);
const secrets = readEnv(join(SECRETS, '.env'));

/** Compose's !reset (an override that empties what the base file set) as a marker. */
const RESET = { tag: '!reset', collection: 'seq' as const, resolve: () => ['!reset'] };
const RESET_SCALAR = { tag: '!reset', resolve: () => '!reset' };

function composeFile(file: string, env: Record<string, string> = secrets): Compose {
  return parse(interpolate(readFileSync(join(INFRA, file), 'utf8'), env), { merge: true, customTags: [RESET, RESET_SCALAR] }) as Compose;
}

const compose = composeFile('docker-compose.yml');
const tls = composeFile('docker-compose.tls.yml');
type Definitions = {
  users: { name: string; password_hash?: string; tags: string[] }[];
  vhosts: { name: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
};
/** The committed definitions (no passwords) and the ones make-env.mjs made from them (with hashes). */
const template = JSON.parse(readFileSync(join(INFRA, 'rabbitmq/definitions.json'), 'utf8')) as Definitions;
const definitions = JSON.parse(readFileSync(join(SECRETS, 'rabbitmq/definitions.local.json'), 'utf8')) as Definitions;
/** What the docs tell users to put in .env for the programs on their machine. */
const hostEnv = readEnv(join(SECRETS, 'host.env'));
/** Traces and metrics in a browser (infra/observability); every other service but the broker runs an app. */
const OBSERVABILITY = ['jaeger', 'prometheus', 'grafana-dashboards', 'grafana'];
const appServices = Object.entries(compose.services).filter(([name]) => name !== 'rabbitmq' && !OBSERVABILITY.includes(name));

/** Every program of every pattern app: its nx targets that run a src/<role>.ts. */
// Every pattern runs as a service; the troubleshooting cases are run by hand (and by the demo), not served.
const roles = readdirSync(join(ROOT, 'apps')).filter((app) => app !== 'troubleshoot').flatMap((app) => {
  const targets = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')).nx.targets as Record<string, { options?: { file?: string } }>;
  return Object.values(targets).flatMap((t) => (t.options?.file?.startsWith('src/') ? [`apps/${app}/${t.options.file}`] : [])); // not the load tools (load/)
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
    expect(rabbit.volumes).toContain('./rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/90-tutorials.conf:ro');
    expect(rabbit.volumes).toContain('./rabbitmq/definitions.local.json:/etc/rabbitmq/definitions.json:ro');
  });

  it('turns streams on, keeping the image\'s own plugins, and publishes the stream port it advertises', () => {
    const rabbit = compose.services.rabbitmq!;
    expect(rabbit.volumes).toContain('./rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro');
    const plugins = /^\[(.*)\]\.\s*$/.exec(readFileSync(join(INFRA, 'rabbitmq/enabled_plugins'), 'utf8'))![1]!.split(',');
    // The image enables rabbitmq_prometheus (and, -management, rabbitmq_management); this file replaces its list.
    expect(plugins).toEqual(expect.arrayContaining(['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_stream']));
    const conf = readFileSync(join(INFRA, 'rabbitmq/rabbitmq.conf'), 'utf8');
    const advertised = Number(/^stream\.advertised_port = (\d+)$/m.exec(conf)![1]);
    expect(conf).toMatch(/^stream\.advertised_host = localhost$/m);
    expect(rabbit.ports).toContain(`127.0.0.1:${advertised}:5552`);
  });

  it('has no password in the repository: each comes from infra/.env, made by make-env.mjs with random values', () => {
    expect(template.users.filter((u) => u.password_hash)).toEqual([]);
    const text = readFileSync(join(INFRA, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/demo-password/);
    expect(() => composeFile('docker-compose.yml', {})).toThrow(/_PASSWORD: run node infra\/make-env\.mjs first/);
    for (const [, service] of appServices) expect(service.environment!.RABBITMQ_PASSWORD).toBe(secrets[variable(service.environment!.RABBITMQ_USER!)]);
    // Private files; every user gets its own password, another run keeps them, a fresh setup gets new ones.
    for (const file of ['.env', 'host.env']) expect(statSync(join(SECRETS, file)).mode & 0o777).toBe(0o600);
    expect(new Set(Object.values(secrets)).size).toBe(template.users.length + 2); // and Grafana's admin, and the cluster's cookie
    expect(secrets.ERLANG_COOKIE).toMatch(/^[0-9a-f]{64}$/);
    expect(compose.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe(secrets.GRAFANA_ADMIN_PASSWORD);
    makeEnv(SECRETS);
    expect(readEnv(join(SECRETS, '.env'))).toEqual(secrets);
    const other = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
    // Files that existed with loose modes (0644) are made private too when the passwords go in.
    for (const file of ['.env', 'host.env']) writeFileSync(join(other, file), '', { mode: 0o644 });
    makeEnv(other);
    for (const file of ['.env', 'host.env']) expect(statSync(join(other, file)).mode & 0o777, file).toBe(0o600);
    expect(readEnv(join(other, '.env')).ADMIN_PASSWORD).not.toBe(secrets.ADMIN_PASSWORD);
    // A link in place of .env is refused in one line, and its target is neither read nor written.
    const target = join(other, 'target');
    writeFileSync(target, 'ADMIN_PASSWORD=theirs\n');
    rmSync(join(other, '.env'));
    symlinkSync(target, join(other, '.env'));
    const refused = spawnSync(process.execPath, [join(INFRA, 'make-env.mjs'), '--out', other], { encoding: 'utf8' });
    expect({ status: refused.status, stderr: refused.stderr }).toEqual({ status: 1, stderr: `error: ${join(other, '.env')} is a link: make-env.mjs writes only files of its own there; remove it and run again\n` });
    expect(readFileSync(target, 'utf8')).toBe('ADMIN_PASSWORD=theirs\n');
    rmSync(other, { recursive: true, force: true });
    for (const user of definitions.users) expect(passwordMatches(user.password_hash!, secrets[variable(user.name)]!), user.name).toBe(true);
  });

  it('make-env: infra/host.env follows BROKER_AMQP_PORT and BROKER_MANAGEMENT_PORT; an empty one (any free port) is one line', () => {
    const out = mkdtempSync(join(tmpdir(), 'compose-ports-'));
    const run = (env: Record<string, string>) => spawnSync(process.execPath, [join(INFRA, 'make-env.mjs'), '--out', out], { encoding: 'utf8', env: { ...process.env, ...env } });
    try {
      expect(run({ BROKER_AMQP_PORT: '5673', BROKER_MANAGEMENT_PORT: '15673' }).status).toBe(0);
      expect(readEnv(join(out, 'host.env'))).toMatchObject({ RABBITMQ_PORT: '5673', RABBITMQ_MANAGEMENT_URL: 'http://localhost:15673' });
      const empty = run({ BROKER_AMQP_PORT: '' });
      expect(empty.status).toBe(1);
      expect(empty.stderr).toMatch(/^error: BROKER_AMQP_PORT must be a port from 1 to 65535 for infra\/host.env \(got ""\); with any free port, set RABBITMQ_PORT/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('make-env: a missing or unknown option is a usage line and exit 2, not a stack trace', () => {
    for (const args of [['--out'], ['--bogus']]) {
      const result = spawnSync(process.execPath, [join(INFRA, 'make-env.mjs'), ...args], { encoding: 'utf8' });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: .*\nusage: node infra\/make-env\.mjs \[--out DIR\]\n$/);
    }
  });

  it('publishes the broker on 127.0.0.1 only, on ports a user can move (empty: any free port)', () => {
    expect(compose.services.rabbitmq!.ports).toEqual(['127.0.0.1:5672:5672', '127.0.0.1:15672:15672', '127.0.0.1:5552:5552']);
    expect(tls.services.rabbitmq!.ports).toEqual(['127.0.0.1:5671:5671', '127.0.0.1:5551:5551']);
    const moved = composeFile('docker-compose.yml', { ...secrets, BROKER_AMQP_PORT: '5673', BROKER_MANAGEMENT_PORT: '', BROKER_BIND: '0.0.0.0' });
    expect(moved.services.rabbitmq!.ports).toEqual(['0.0.0.0:5673:5672', '0.0.0.0::15672', '0.0.0.0:5552:5552']);
    expect(composeFile('docker-compose.tls.yml', { ...secrets, BROKER_AMQPS_PORT: '' }).services.rabbitmq!.ports).toEqual(['127.0.0.1::5671', '127.0.0.1:5551:5551']);
    for (const [name, service] of appServices) expect(service.ports, name).toBeUndefined();
    const published = (name: string) => compose.services[name]!.ports;
    expect([published('jaeger'), published('prometheus'), published('grafana')]).toEqual([['127.0.0.1:16686:16686'], ['127.0.0.1:9090:9090'], ['127.0.0.1:3000:3000']]);
    const ui = composeFile('docker-compose.yml', { ...secrets, GRAFANA_PORT: '3001', JAEGER_PORT: '' });
    expect([ui.services.grafana!.ports, ui.services.jaeger!.ports]).toEqual([['127.0.0.1:3001:3000'], ['127.0.0.1::16686']]);
  });

  it('builds the app image once; every other app service runs it without building or pulling', () => {
    const builders = appServices.filter(([, s]) => s.build);
    expect(builders.map(([name]) => name)).toEqual(['hello-receive']);
    const [, builder] = builders[0]!;
    expect(builder.pull_policy).toBe('build');
    expect(existsSync(join(INFRA, builder.build!.context, builder.build!.dockerfile))).toBe(true);
    for (const [name, service] of appServices) {
      expect(service.image, name).toBe('rabbit-tutorials:latest');
      if (!service.build) expect(service.pull_policy, name).toBe('never');
    }
  });

  it.each(roles)('has a service running %s', (role) => {
    expect(appServices.some(([, s]) => s.command?.join(' ').includes(role))).toBe(true);
  });

  it.each(appServices.map(([name]) => name))('%s: waits for a healthy broker and logs in as its own least-privilege user', (name) => {
    const service = compose.services[name]!;
    expect(service.depends_on?.rabbitmq?.condition).toBe('service_healthy');
    const env = service.environment!;
    // Stream-protocol clients share the broker's network namespace: the host they are told (localhost) is the broker.
    if (service.network_mode === 'service:rabbitmq') expect(env).toMatchObject({ RABBITMQ_HOST: 'localhost', RABBITMQ_VHOST: 'tutorials' });
    else expect(env).toMatchObject({ RABBITMQ_HOST: 'rabbitmq', RABBITMQ_VHOST: 'tutorials' });
    const user = definitions.users.find((u) => u.name === env.RABBITMQ_USER);
    expect(user, `user ${env.RABBITMQ_USER} in definitions.json`).toBeDefined();
    expect(passwordMatches(user!.password_hash!, env.RABBITMQ_PASSWORD!)).toBe(true);
    expect(definitions.permissions.find((p) => p.user === env.RABBITMQ_USER)).toMatchObject({ vhost: 'tutorials' });
    expect(env.RABBITMQ_USER).not.toBe('guest');
    for (const arg of service.command!) if (arg.startsWith('apps/') || arg.startsWith('infra/')) expect(existsSync(join(ROOT, arg)), arg).toBe(true);
  });

  it('the image gets every npm workspace, so npm ci inside it finds them all', () => {
    const dockerfile = readFileSync(join(INFRA, 'Dockerfile'), 'utf8');
    const workspaces = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces as string[];
    for (const glob of workspaces) {
      const dir = glob.replace('/*', '');
      expect(dockerfile.includes(`COPY ${dir} ./${dir}`) || dockerfile.includes(`COPY ${dir}/package.json ./${dir}/package.json`), glob).toBe(true);
    }
    // The current LTS: Node 20's image is no longer built.
    expect(dockerfile).toMatch(/^FROM node:24-bookworm-slim$/m);
  });

  it('the worker service can be scaled (no fixed name or port)', () => {
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('the TLS override switches every app to amqps with the CA, and mounts only the broker\'s own files', () => {
    expect(Object.keys(tls.services).sort()).toEqual(['rabbitmq', ...appServices.map(([name]) => name)].sort());
    for (const [name] of appServices) {
      expect(tls.services[name]!.environment).toMatchObject({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/certs/ca.pem' });
      expect(tls.services[name]!.volumes).toEqual(['./certs/out/ca.pem:/certs/ca.pem:ro']);
    }
    expect(tls.services.rabbitmq!.volumes!.sort()).toEqual([
      './certs/out/ca.pem:/etc/rabbitmq/certs/ca.pem:ro',
      './certs/out/server.key:/etc/rabbitmq/certs/server.key:ro',
      './certs/out/server.pem:/etc/rabbitmq/certs/server.pem:ro',
      './rabbitmq/tls.conf:/etc/rabbitmq/conf.d/91-tls.conf:ro',
    ]);
  });
});

describe('infra/docker-compose.cluster.yml: three nodes and HAProxy', () => {
  const cluster = composeFile('docker-compose.cluster.yml');
  const nodes = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'];
  const conf = readFileSync(join(INFRA, 'rabbitmq/cluster.conf'), 'utf8');
  const haproxy = readFileSync(join(INFRA, 'haproxy/haproxy.cfg'), 'utf8');

  it('runs three nodes of the single broker\'s image, each named by its host name, all in cluster.conf\'s peer list', () => {
    for (const name of nodes) {
      const node = cluster.services[name]!;
      expect(node.image, name).toBe(compose.services.rabbitmq!.image);
      expect(node.hostname).toBe(name);
      expect(conf).toContain(`= rabbit@${name}\n`); // the image's node name: rabbit@<host name>
      expect(node.healthcheck!.test).toEqual(compose.services.rabbitmq!.healthcheck!.test);
      // The cluster's config where the single broker's was; the definitions, plugins and a data volume of its own.
      expect(node.volumes).toEqual([
        './rabbitmq/cluster.conf:/etc/rabbitmq/conf.d/90-tutorials.conf:ro', './rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro',
        './rabbitmq/definitions.local.json:/etc/rabbitmq/definitions.json:ro', `${name === 'rabbitmq' ? 'rabbitmq-1' : name}-data:/var/lib/rabbitmq`]);
      // Started together: RabbitMQ 4's peer discovery holds a lone new node until a second one answers.
      expect(node.depends_on, name).toBeUndefined();
    }
    // No data volume shared with the single broker: switching stacks (the README's order) keeps each one's data.
    const singleVolumes = (compose.services.rabbitmq!.volumes ?? []).map((v) => v.split(':')[0]);
    for (const name of nodes) expect(singleVolumes).not.toContain(cluster.services[name]!.volumes!.at(-1)!.split(':')[0]);
    expect(Object.keys((parse(readFileSync(join(INFRA, 'docker-compose.cluster.yml'), 'utf8'), { customTags: [RESET, RESET_SCALAR] }) as { volumes: object }).volumes))
      .toEqual(['rabbitmq-1-data', 'rabbitmq-2-data', 'rabbitmq-3-data']);
    expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    expect(conf).toMatch(/^cluster_partition_handling = pause_minority$/m);
    // Each node advertises its own host for streams (the default), not the single broker's localhost.
    expect(conf).not.toMatch(/^stream\.advertised/m);
    // Everything else the single broker is configured with.
    const single = readFileSync(join(INFRA, 'rabbitmq/rabbitmq.conf'), 'utf8').split('\n').filter((l) => /^\w/.test(l) && !l.startsWith('stream.advertised'));
    for (const line of single) expect(conf.split('\n'), line).toContain(line);
  });

  it('the nodes share the Erlang cookie from infra/.env, written to the one file the image reads, private', () => {
    for (const name of nodes) {
      expect(cluster.services[name]!.environment).toEqual({ ERLANG_COOKIE: secrets.ERLANG_COOKIE });
      expect(cluster.services[name]!.entrypoint!.join(' ')).toMatch(/umask 077 && printf '%s' "\$ERLANG_COOKIE" > \/var\/lib\/rabbitmq\/\.erlang\.cookie && exec docker-entrypoint\.sh rabbitmq-server$/);
    }
    expect(() => composeFile('docker-compose.cluster.yml', { ...secrets, ERLANG_COOKIE: '' })).toThrow(/ERLANG_COOKIE: run node infra\/make-env\.mjs first/);
  });

  it('HAProxy takes the host\'s ports (127.0.0.1 only, movable) in front of the three nodes; the first node publishes none', () => {
    expect(cluster.services.rabbitmq!.ports).toEqual(['!reset']);
    expect(cluster.services.haproxy!.ports).toEqual(compose.services.rabbitmq!.ports);
    expect(cluster.services.haproxy!.image).toMatch(/^haproxy:\d/);
    expect(cluster.services.haproxy!.volumes).toEqual(['./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    for (const [port, backend] of [[5672, 'amqp'], [15672, 'management'], [5552, 'stream']] as const) {
      // Backends named apart from their frontends (one name for both is refused from HAProxy 3.3).
      expect(haproxy).toMatch(new RegExp(`^frontend ${backend}\\n  bind :${port}\\n  default_backend ${backend}_nodes$`, 'm'));
      const servers = new RegExp(`^backend ${backend}_nodes\\n(?:  .*\\n)*?((?:  server .*\\n)+)`, 'm').exec(haproxy)![1]!;
      expect(servers.trim().split('\n').map((l) => l.trim())).toEqual(nodes.map((n) => `server ${n} ${n}:${port}`));
    }
    // A node is healthy when it answers AMQP, not merely TCP (a frozen node's kernel still accepts).
    expect(haproxy).toContain('tcp-check send-binary 414d515000000901');
  });

  it.skipIf(!hasHaproxy())('haproxy -c (3.1 or later) accepts infra/haproxy/haproxy.cfg', () => {
    const result = spawnSync('haproxy', ['-c', '-f', join(INFRA, 'haproxy/haproxy.cfg')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('every app is given the three nodes, in order, as an address list the programs accept', () => {
    expect(Object.keys(cluster.services).sort()).toEqual([...nodes, 'haproxy', ...appServices.map(([name]) => name)].sort());
    for (const [name, service] of appServices) {
      expect(cluster.services[name]!.environment, name).toEqual({ RABBITMQ_HOST: nodes.join(',') });
      // Out of the first node's network namespace: it goes when that node goes down.
      if (service.network_mode) expect(cluster.services[name]!.network_mode, name).toBe('!reset');
      const config = loadStreamConfig({ ...compose.services[name]!.environment, ...cluster.services[name]!.environment });
      expect(config.streamAddresses.map((a) => `${a.hostname}:${a.port}:${a.streamPort}`)).toEqual(nodes.map((n) => `${n}:5672:5552`));
    }
  });
});

describe('traces and metrics in compose (infra/observability)', () => {
  const prometheus = parse(readFileSync(join(INFRA, 'observability/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { type: string; port: number; names: string[] }[] }[];
  };
  const job = (name: string) => prometheus.scrape_configs.find((j) => j.job_name === name)!;
  const grafana = compose.services.grafana!;
  /** Where Grafana finds a file of infra/observability/grafana, from its volumes. */
  const mountedAt = (file: string) => grafana.volumes!.find((v) => v.startsWith(`./observability/grafana/${file}:`))?.split(':')[1];

  it('Prometheus scrapes the broker on the port its config sets, with the plugin on', () => {
    const conf = readFileSync(join(INFRA, 'rabbitmq/rabbitmq.conf'), 'utf8');
    const port = /^prometheus\.tcp\.port = (\d+)$/m.exec(conf)![1];
    expect(job('rabbitmq').static_configs![0]!.targets).toEqual([`rabbitmq:${port}`]);
    expect(readFileSync(join(INFRA, 'rabbitmq/enabled_plugins'), 'utf8')).toContain('rabbitmq_prometheus');
    expect(compose.services.prometheus!.volumes).toContain('./observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('every long-running amqplib app serves /metrics where Prometheus looks for it; every amqplib app sends traces to Jaeger', () => {
    const [discovery] = job('apps').dns_sd_configs!;
    const measured = appServices.filter(([, s]) => s.environment!.METRICS_PORT !== undefined);
    expect(measured.map(([name]) => name).sort()).toEqual([...discovery!.names].sort());
    for (const [name, service] of measured) {
      expect(service.environment, name).toMatchObject({ METRICS_PORT: String(discovery!.port), METRICS_HOST: '0.0.0.0' });
      // Short programs (a send, run in a loop) end before a scrape: only consumers and servers serve metrics.
      expect(service.command![0], name).toBe('node');
    }
    const amqplibApps = appServices.filter(([, s]) => s.network_mode !== 'service:rabbitmq');
    for (const [name, service] of amqplibApps) {
      expect(service.environment, name).toMatchObject({
        NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      });
    }
    // The connection name is the service name in the traces: one per service.
    const names = amqplibApps.map(([, s]) => s.environment!.RABBITMQ_CONNECTION_NAME);
    expect(new Set(names).size).toBe(amqplibApps.length);
    // The stream-protocol programs do not use amqplib: there is nothing to instrument.
    const streamProtocol = appServices.filter(([, s]) => s.network_mode === 'service:rabbitmq');
    for (const [name, service] of streamProtocol) expect(service.environment!.NODE_OPTIONS, name).toBeUndefined();
  });

  it('Grafana: data sources at the services\' own ports, dashboards where the provisioning looks, admin password from infra/.env', () => {
    const sources = parse(readFileSync(join(INFRA, 'observability/grafana/datasources.yml'), 'utf8')).datasources as { uid: string; type: string; url: string }[];
    expect(sources.map((d) => [d.type, d.uid, d.url])).toEqual([['prometheus', 'prometheus', 'http://prometheus:9090'], ['jaeger', 'jaeger', 'http://jaeger:16686']]);
    // The container ports those URLs use are the ones the services publish.
    expect(compose.services.prometheus!.ports![0]).toMatch(/:9090$/);
    expect(compose.services.jaeger!.ports![0]).toMatch(/:16686$/);
    expect(mountedAt('datasources.yml')).toMatch(/^\/etc\/grafana\/provisioning\/datasources\//);
    expect(mountedAt('dashboards.yml')).toMatch(/^\/etc\/grafana\/provisioning\/dashboards\//);
    const providers = parse(readFileSync(join(INFRA, 'observability/grafana/dashboards.yml'), 'utf8')).providers as { name: string; options: { path: string } }[];
    const path = (name: string) => providers.find((p) => p.name === name)!.options.path;
    expect(mountedAt('apps.json')).toBe(`${path('apps')}/apps.json`);
    // RabbitMQ's dashboards: the one-shot service writes them into the volume Grafana reads them from.
    const fetcher = compose.services['grafana-dashboards']!;
    const target = fetcher.command!.at(-1)!;
    const volume = fetcher.volumes!.find((v) => v.endsWith(`:${target}`))!.split(':')[0];
    expect(grafana.volumes).toContain(`${volume}:${path('rabbitmq')}:ro`);
    expect((grafana as { depends_on?: Record<string, { condition: string }> }).depends_on).toEqual({ 'grafana-dashboards': { condition: 'service_completed_successfully' } });
    expect(() => composeFile('docker-compose.yml', { ...secrets, GRAFANA_ADMIN_PASSWORD: '' })).toThrow(/GRAFANA_ADMIN_PASSWORD/);
    for (const name of OBSERVABILITY) expect(compose.services[name]!.image, name).toMatch(/:[\w.-]*\d[\w.-]*$/); // a pinned version
  });

  it('the apps dashboard queries the Prometheus data source for metrics the apps serve', () => {
    const dashboard = JSON.parse(readFileSync(join(INFRA, 'observability/grafana/apps.json'), 'utf8')) as {
      panels: { datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const served = new Set([...readFileSync(join(ROOT, 'libs/telemetry/src/metrics.mjs'), 'utf8').matchAll(/'(amqp_\w+)'/g)].map((m) => m[1]!));
    expect(served.size).toBeGreaterThan(4);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe('prometheus');
      for (const { expr } of panel.targets) {
        for (const [metric] of expr.matchAll(/\bamqp_\w+/g)) expect(served, expr).toContain(metric.replace(/_(bucket|sum|count)$/, ''));
        for (const [metric] of expr.matchAll(/\brabbitmq_\w+/g)) expect(metric).toMatch(/^rabbitmq_queue_messages_ready$/);
      }
    }
  });

  it('fetch-dashboards.sh: RabbitMQ\'s dashboards with the provisioned data source; offline, Grafana still starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    // A curl stand-in: writes an exported dashboard (FAIL=1: fails as curl does when offline).
    writeFileSync(join(dir, 'curl'), '#!/bin/sh\n[ -n "$FAIL" ] && exit 6\nwhile [ "$1" != "-o" ]; do shift; done\n' +
      'printf \'{"panels":[{"datasource":"${DS_PROMETHEUS}"}]}\' > "$2"\n', { mode: 0o755 });
    const script = (env: Record<string, string>) => promisify(execFile)('sh', [join(INFRA, 'observability/fetch-dashboards.sh'), join(dir, 'out')],
      { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env } });
    try {
      const offline = await script({ FAIL: '1' });
      expect(offline.stdout).toMatch(/could not fetch dashboard 10991 .*Grafana starts without it/);
      expect(readdirSync(join(dir, 'out'))).toEqual([]);
      const online = await script({});
      expect(online.stdout).toContain('fetched dashboard 10991 (rabbitmq-overview)');
      expect(JSON.parse(readFileSync(join(dir, 'out/rabbitmq-overview.json'), 'utf8'))).toEqual({ panels: [{ datasource: 'prometheus' }] });
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['rabbitmq-overview.json', 'rabbitmq-quorum-queues-raft.json', 'rabbitmq-stream.json']);
      // On the next start, what is there is kept (no download).
      expect((await script({ FAIL: '1' })).stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('infra scripts and files', () => {
  it('generate.sh, under umask 077: the broker (another uid) can read its files; the CA and client keys stay private', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'generate-sh-'));
    try {
      copyFileSync(join(INFRA, 'certs/generate.sh'), join(dir, 'generate.sh'));
      await promisify(execFile)('bash', ['-c', 'umask 077 && bash generate.sh'], { cwd: dir });
      const mode = (file: string) => (statSync(join(dir, 'out', file)).mode & 0o777).toString(8);
      for (const file of ['ca.pem', 'server.pem', 'server.key', 'client.pem']) expect(mode(file), file).toBe('644');
      for (const file of ['ca.key', 'client.key']) expect(mode(file), file).toBe('600');
      // The files the TLS override and .env.example name are the ones the script writes.
      const named = [...readFileSync(join(INFRA, 'docker-compose.tls.yml'), 'utf8').matchAll(/\.\/certs\/out\/([\w.]+)/g)].map((m) => m[1]!);
      const example = [...readFileSync(join(ROOT, '.env.example'), 'utf8').matchAll(/infra\/certs\/out\/([\w.]+)/g)].map((m) => m[1]!);
      expect(example).toEqual(['ca.pem', 'client.pem', 'client.key']);
      for (const file of [...named, ...example]) expect(existsSync(join(dir, 'out', file)), file).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo-loop.sh passes SIGTERM on to the running program, which finishes cleanly', async () => {
    const program = 'process.on("SIGTERM", () => { console.log("cleaned up"); process.exit(0); }); setInterval(() => {}, 1000); console.log("started");';
    const loop = spawn('sh', [join(INFRA, 'demo-loop.sh'), '60', process.execPath, '-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const seen = (text: string) => new Promise<void>((resolve) => {
      const check = () => out.includes(text) && resolve();
      loop.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        check();
      });
      check();
    });
    const exited = new Promise<number | null>((resolve) => loop.once('close', (code) => resolve(code)));
    await seen('started');
    const start = Date.now();
    loop.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('cleaned up');
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('shell scripts keep LF line endings on every checkout', () => {
    expect(readFileSync(join(ROOT, '.gitattributes'), 'utf8')).toMatch(/^\*\.sh text eol=lf$/m);
  });
});

const noLocalNode = hasLocalRabbitmq() ? '' : ' (skipped: rabbitmq-server is not installed)';
describe.skipIf(Boolean(noLocalNode))(`the compose broker's config and users, on a local node configured as the image${noLocalNode}`, () => {
  let node: Awaited<ReturnType<typeof startLikeImage>>;
  let endpoint: { port: number; managementUrl: string };
  beforeAll(async () => {
    node = await startLikeImage((dir: string) => ({
      '90-tutorials.conf': readFileSync(join(INFRA, 'rabbitmq/rabbitmq.conf'), 'utf8'),
      // Only the path differs from the container's.
      '95-paths.conf': `definitions.local.path = ${dir}/definitions.json\n`,
    }), {
      files: { 'definitions.json': readFileSync(join(SECRETS, 'rabbitmq/definitions.local.json'), 'utf8') },
      admin: { username: hostEnv.RABBITMQ_USER!, password: hostEnv.RABBITMQ_PASSWORD! },
    });
    endpoint = { port: node.spec.ports.amqp, managementUrl: `http://127.0.0.1:${node.spec.ports.management}` };
  }, 120_000);
  afterAll(() => node?.stop());

  /** infra/host.env as a user has it, with this node's ports for localhost:5672 and :15672. */
  const documented = () => ({
    ...hostEnv, RABBITMQ_PORT: String(endpoint.port), RABBITMQ_MANAGEMENT_URL: endpoint.managementUrl, RABBITMQ_CONNECTION_ATTEMPTS: '1',
  });

  it('has no guest user: definitions loaded at boot replace the defaults', async () => {
    const err = await amqp.connect(`amqp://guest:guest@127.0.0.1:${endpoint.port}/`).then((c) => c.close(), (e: Error) => e);
    expect(String(err)).toMatch(/ACCESS_REFUSED|403/);
  });

  it('the programs on the host run with the settings of infra/host.env, inspect included', async () => {
    expect(hostEnv).toMatchObject({ RABBITMQ_HOST: 'localhost', RABBITMQ_PORT: '5672', RABBITMQ_MANAGEMENT_URL: 'http://localhost:15672' });
    const user = definitions.users.find((u) => u.name === hostEnv.RABBITMQ_USER)!;
    expect(passwordMatches(user.password_hash!, hostEnv.RABBITMQ_PASSWORD!)).toBe(true);
    const receiver = startApp('hello', 'receive', [], documented());
    await receiver.waitFor(/Waiting for messages/);
    expect((await runApp('hello', 'send', ['from the host'], documented())).code).toBe(0);
    await receiver.waitFor(/Received 'from the host'/);
    const queues = await runApp('inspect', 'inspect', ['queues'], documented());
    expect(queues.stderr).toBe('');
    expect(queues.stdout).toMatch(/^hello +quorum/m);
  });

  it('each app works in vhost "tutorials" as its own user, and cannot touch another app\'s resources', async () => {
    const as = (service: string) => {
      const env = compose.services[service]!.environment!;
      return { RABBITMQ_URL: `amqp://${env.RABBITMQ_USER}:${env.RABBITMQ_PASSWORD}@127.0.0.1:${endpoint.port}/tutorials`, RABBITMQ_CONNECTION_ATTEMPTS: '1' };
    };
    const pairs: [string, string, string[], string, string, string[], RegExp][] = [
      ['hello-receive', 'hello', [], 'receive', 'send', ['hi'], /Received 'hi'/],
      ['worker', 'task-queue', ['--dot-ms', '0'], 'worker', 'new-task', ['job'], /Done job/],
      ['retry-worker', 'retry', [], 'worker', 'send', ['r'], /Done r \(id \S+\) on attempt 1$/],
      ['fanout-logs-receive', 'fanout-logs', [], 'receive', 'emit', ['x'], / \[x\] x$/],
      ['direct-logs-receive', 'direct-logs', ['error'], 'receive', 'emit', ['error', 'e'], /error:e/],
      ['topic-logs-receive', 'topic-logs', ['#'], 'receive', 'emit', ['a.b', 't'], /a\.b:t/],
      ['headers-logs-receive', 'headers-logs', ['any', 'k=v'], 'receive', 'emit', ['--header', 'k=v', 'h'], /:h$/],
      ['rpc-server', 'rpc-fib', [], 'server', 'client', ['10'], /Awaiting/],
      ['stream-queue-receive', 'stream-queue', ['--offset', 'next'], 'receive', 'send', ['s'], /Received message s \(offset/],
    ];
    for (const [service, app, consumerArgs, consumer, producer, producerArgs, expected] of pairs) {
      const running = startApp(app, consumer, consumerArgs, as(service));
      await running.waitFor(/Waiting|Awaiting|Reading/);
      const sent = await runApp(app, producer, producerArgs, as(service));
      expect(sent.code, `${app} ${producer}: ${sent.stderr}`).toBe(0);
      await running.waitFor(expected);
      await running.stop();
    }
    expect((await runApp('publisher-confirms', 'publish', ['--count', '50'], as('publisher-confirms'))).code).toBe(0);
    expect((await runApp('retry', 'requeue-parked', ['--list'], as('retry-send'))).stdout).toBe(' [x] retry.parked is empty');

    // Least privilege: the hello user may not declare the task queue.
    const denied = await runApp('task-queue', 'new-task', ['x'], as('hello-send'));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/access to queue 'task_queue' in vhost 'tutorials' refused for user 'hello': its (configure permission does|permissions do) not cover this queue; .* \(403 ACCESS_REFUSED\)/);

    // The classic tutorial programs' vhost "demo": the same users, the same permissions.
    const on = (vhost: string) => definitions.permissions.filter((p) => p.vhost === vhost).map(({ vhost: _, ...p }) => p);
    expect(on('demo')).toEqual(on('tutorials'));
    const demo = { ...as('hello-receive'), RABBITMQ_URL: as('hello-receive').RABBITMQ_URL.replace(/\/tutorials$/, '/demo') };
    const receiver = startApp('hello', 'receive', [], demo);
    await receiver.waitFor(/Waiting/);
    expect((await runApp('hello', 'send', ['in demo'], demo)).code).toBe(0);
    await receiver.waitFor(/Received 'in demo'/);
  }, 120_000);
});

describe('docker compose up (needs a Docker engine and Compose v2)', async () => {
  const engine = await dockerAvailable();
  const compose2 = engine ? await composeV2() : { missing: 'no Docker engine reachable' };
  const skip = 'missing' in compose2 ? ` (skipped: ${compose2.missing})` : '';
  it.skipIf(Boolean(skip))(`brings every service up; hello flows between services and from the host${skip}`, async () => {
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');
    makeEnv(INFRA); // what the README says to run first (keeps existing passwords)
    const infraHost = readEnv(join(INFRA, 'host.env'));
    // Any free host ports, so a broker already on 5672/15672 does not matter.
    const environment = await new DockerComposeEnvironment(INFRA, 'docker-compose.yml')
      .withEnvironment({ BROKER_AMQP_PORT: '', BROKER_MANAGEMENT_PORT: '', JAEGER_PORT: '', PROMETHEUS_PORT: '', GRAFANA_PORT: '' })
      .withBuild()
      .withWaitStrategy('rabbitmq-1', Wait.forHealthCheck())
      // Images without a shell: their own readiness URLs.
      .withWaitStrategy('jaeger-1', Wait.forHttp('/', 16686))
      .withWaitStrategy('prometheus-1', Wait.forHttp('/-/ready', 9090))
      .withWaitStrategy('grafana-1', Wait.forHttp('/api/health', 3000))
      .withWaitStrategy('grafana-dashboards-1', Wait.forOneShotStartup())
      .withStartupTimeout(300_000)
      .up();
    try {
      const rabbit = environment.getContainer('rabbitmq-1');
      const host = { ...infraHost, RABBITMQ_HOST: rabbit.getHost(), RABBITMQ_PORT: String(rabbit.getMappedPort(5672)),
        RABBITMQ_MANAGEMENT_URL: `http://${rabbit.getHost()}:${rabbit.getMappedPort(15672)}` };
      const fromHost = await runApp('hello', 'send', ['from the host'], host);
      expect(fromHost.code, fromHost.stderr).toBe(0);

      const receiver = environment.getContainer('hello-receive-1');
      const logs = await receiver.logs();
      await new Promise<void>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`hello-receive printed no message from hello-send and the host:\n${text}`)), 120_000);
        logs.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes("Received 'Hello from compose!'") && text.includes("Received 'from the host'")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });

      // The programs' traces reach Jaeger; Prometheus scrapes the broker and the apps.
      const url = (name: string, port: number) => `http://${urlHost(environment.getContainer(name).getHost())}:${environment.getContainer(name).getMappedPort(port)}`;
      const json = async (address: string) => (await fetch(address)).json() as Promise<Record<string, unknown>>;
      await eventually(async () => {
        const services = (await json(`${url('jaeger-1', 16686)}/api/services`)).data as string[] | null;
        return ['hello-send', 'hello-receive'].every((name) => services?.includes(name));
      }, 120_000, 'hello-send and hello-receive in Jaeger');
      await eventually(async () => {
        const up = (await json(`${url('prometheus-1', 9090)}/api/v1/query?query=up`)).data as { result: { metric: Record<string, string>; value: [number, string] }[] };
        const isUp = (labels: Record<string, string>) => up.result.some((r) => Object.entries(labels).every(([k, v]) => r.metric[k] === v) && r.value[1] === '1');
        return isUp({ job: 'rabbitmq' }) && isUp({ job: 'apps', service: 'hello-receive' }) && isUp({ job: 'apps', service: 'worker' });
      }, 120_000, 'Prometheus scraping the broker and the apps');
    } finally {
      await environment.down();
    }
  }, 600_000);

  it.skipIf(Boolean(skip))(`single -> cluster -> single, as the README runs them: each stack keeps its own data; the cluster forms one cluster${skip}`, () => {
    makeEnv(INFRA);
    const project = `switch-${process.pid}`;
    const single = ['-f', 'docker-compose.yml'];
    const clustered = [...single, '-f', 'docker-compose.cluster.yml'];
    const compose = (files: string[], ...args: string[]) => {
      const run = spawnSync('docker', ['compose', '-p', project, ...files, ...args], { cwd: INFRA, encoding: 'utf8', env: { ...process.env, BROKER_AMQP_PORT: '', BROKER_MANAGEMENT_PORT: '' } });
      expect(run.status, `docker compose ${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run.stdout;
    };
    try {
      compose(single, 'up', '-d', '--wait', 'rabbitmq');
      compose(single, 'exec', '-T', 'rabbitmq', 'rabbitmqctl', 'add_vhost', 'kept-by-the-single-broker');
      compose(single, 'down');
      compose(clustered, 'up', '-d', '--wait', 'rabbitmq', 'rabbitmq-2', 'rabbitmq-3');
      const status = JSON.parse(compose(clustered, 'exec', '-T', 'rabbitmq', 'rabbitmqctl', 'cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
      expect(status.running_nodes.sort()).toEqual(['rabbit@rabbitmq', 'rabbit@rabbitmq-2', 'rabbit@rabbitmq-3']); // one cluster, not two
      expect(compose(clustered, 'exec', '-T', 'rabbitmq', 'rabbitmqctl', 'list_vhosts', '-q')).not.toContain('kept-by-the-single-broker');
      compose(clustered, 'down');
      compose(single, 'up', '-d', '--wait', 'rabbitmq');
      expect(compose(single, 'exec', '-T', 'rabbitmq', 'rabbitmqctl', 'list_vhosts', '-q')).toContain('kept-by-the-single-broker');
    } finally {
      for (const files of [clustered, single]) spawnSync('docker', ['compose', '-p', project, ...files, 'down', '-v'], { cwd: INFRA, stdio: 'ignore' });
    }
  }, 900_000);
});
