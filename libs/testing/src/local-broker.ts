import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENABLED_PLUGINS, rabbitmqConf } from './broker-config.js';
import { type CertFiles, generateCerts } from './certs.js';

const run = promisify(execFile);

/** Everything needed to start, stop or restart one private node, from any process (plain data). */
export interface LocalBrokerSpec {
  dir: string;
  nodeName: string;
  ports: { amqp: number; amqps: number; management: number; dist: number };
  certs: CertFiles;
  env: Record<string, string>;
}

/** Is a `rabbitmq-server` on PATH? */
export function hasLocalRabbitmq(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v rabbitmq-server && command -v rabbitmqctl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** Debian's rabbitmq-server run as root switches to user rabbitmq: that user must own the node's files. */
function serverUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('id', ['rabbitmq'], { stdio: 'ignore' });
    return 'rabbitmq';
  } catch {
    return undefined;
  }
}

/** Lays out a private node: own name, free ports, data dir, certificates, config. Nothing is started. */
export async function createLocalBroker(options: {
  failIfNoPeerCert?: boolean;
  /** Preferred ports, used when free (else any free port). */
  ports?: Partial<LocalBrokerSpec['ports']>;
} = {}): Promise<LocalBrokerSpec> {
  const dir = mkdtempSync(join(tmpdir(), 'rabbit-tutorials-broker-'));
  const pick = async (preferred?: number) => (preferred !== undefined && (await isFree(preferred)) ? preferred : freePort());
  const ports = {
    amqp: await pick(options.ports?.amqp), amqps: await pick(options.ports?.amqps),
    management: await pick(options.ports?.management), dist: await pick(options.ports?.dist),
  };
  const certs = generateCerts(join(dir, 'certs'));
  const nodeName = `rabbit-tutorials-${ports.amqp}@localhost`;
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'rabbitmq.conf'), rabbitmqConf({
    amqpPort: ports.amqp, amqpsPort: ports.amqps, managementPort: ports.management,
    certDir: certs.dir, loopbackOnly: true, failIfNoPeerCert: options.failIfNoPeerCert,
  }));
  writeFileSync(join(dir, 'enabled_plugins'), ENABLED_PLUGINS);
  // An empty env file, so the system's rabbitmq-env.conf (which names the system node) is not read.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const user = serverUser();
  if (user) execFileSync('chown', ['-R', `${user}:${user}`, dir]);
  chmodSync(dir, 0o755);
  const env = {
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(ports.dist),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  };
  return { dir, nodeName, ports, certs, env };
}

function nodeEnv(spec: LocalBrokerSpec): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  // Client settings of the test run must not leak into the server's environment.
  for (const key of Object.keys(env)) if (key.startsWith('RABBITMQ_') && !(key in spec.env)) delete env[key];
  return env;
}

function logTail(spec: LocalBrokerSpec): string {
  const files = [join(spec.dir, 'server.out'), join(spec.dir, 'log', `${spec.nodeName}.log`)];
  return files.filter(existsSync).map((f) => readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')).join('\n');
}

/** Starts the node in the background (it outlives this process) and waits until AMQP and management answer. */
export async function startLocalBroker(spec: LocalBrokerSpec, timeoutMs = 90_000): Promise<void> {
  const out = openSync(join(spec.dir, 'server.out'), 'a');
  const child = spawn('rabbitmq-server', [], { env: nodeEnv(spec), detached: true, stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (err) => (exited = err.message));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(spec.ports.amqp)) || !(await managementUp(spec))) {
    if (exited) throw new Error(`rabbitmq-server ${exited} before it was ready:\n${logTail(spec)}`);
    if (Date.now() > deadline) throw new Error(`rabbitmq-server not ready after ${timeoutMs} ms:\n${logTail(spec)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Stops the node (SIGTERM: a clean shutdown) and waits for its process to end; data stays for a later start. */
export async function stopLocalBroker(spec: LocalBrokerSpec): Promise<void> {
  const pidFile = spec.env.RABBITMQ_PID_FILE!;
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 600 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  } else {
    // No pid file yet (the node is still booting): ask the CLI.
    await run('rabbitmqctl', ['stop'], { env: nodeEnv(spec), timeout: 60_000 }).catch(() => undefined);
  }
  rmSync(pidFile, { force: true });
}

export async function restartLocalBroker(spec: LocalBrokerSpec): Promise<void> {
  await stopLocalBroker(spec);
  await startLocalBroker(spec);
}

export async function destroyLocalBroker(spec: LocalBrokerSpec): Promise<void> {
  await stopLocalBroker(spec);
  rmSync(spec.dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function managementUp(spec: LocalBrokerSpec): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${spec.ports.management}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
