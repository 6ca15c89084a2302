import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENABLED_PLUGINS, listenersConf, rabbitmqConf } from './broker-config.js';
import { type CertFiles, generateCerts } from './certs.js';
import { freePort, isFree, release, reserve } from './ports.js';
import { alive } from './process.js';
import { type Endpoint, waitUntilReady } from './ready.js';

const run = promisify(execFile);

/** Everything needed to start, stop or restart one private node, from any process (plain data). */
export interface LocalBrokerSpec {
  dir: string;
  nodeName: string;
  ports: { amqp: number; amqps: number; management: number; managementTls: number; stream: number; streamTls: number; prometheus: number; dist: number };
  certs: CertFiles;
  env: Record<string, string>;
  /** A user with a management tag: readiness checks log in as it. */
  admin: { username: string; password: string };
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

/** Debian's rabbitmq-server run as root switches to user rabbitmq: that user must own the node's files. */
export function serverUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('id', ['rabbitmq'], { stdio: 'ignore' });
    return 'rabbitmq';
  } catch {
    return undefined;
  }
}

/**
 * Lays out a private node: own name, free ports, data dir, certificates, config. Nothing is started.
 * The config is a conf.d directory read in name order, as in the official image.
 */
export async function createLocalBroker(options: {
  failIfNoPeerCert?: boolean;
  /** Preferred ports, used when free (else any free port). */
  ports?: Partial<LocalBrokerSpec['ports']>;
  /** Ports that must be used: an error if one is taken. */
  requiredPorts?: Partial<LocalBrokerSpec['ports']>;
  /**
   * Run this config instead of the tests' own (conf.d file name -> content, e.g. an image's
   * 10-defaults.conf and the config given to a container); only where the node listens is set on top
   * of it. Given the node's directory, for paths to files written there with `files`.
   */
  layers?: (dir: string) => Record<string, string>;
  /** Files to put in the node's directory (name -> content), readable by the node. */
  files?: Record<string, string>;
  /** Who readiness checks log in as when the layers define users (default guest). */
  admin?: { username: string; password: string };
} = {}): Promise<LocalBrokerSpec> {
  const picked: number[] = [];
  const pick = async (name: keyof LocalBrokerSpec['ports']) => {
    const required = options.requiredPorts?.[name];
    const preferred = options.ports?.[name];
    let port: number;
    if (required !== undefined) {
      if (!(await isFree(required))) throw new Error(`port ${required} (${name}) is in use`);
      reserve(required, true); // asked for by name: ours even if another process set it aside
      port = required;
    } else {
      port = preferred !== undefined && (await isFree(preferred)) && reserve(preferred) ? preferred : await freePort();
    }
    picked.push(port);
    return port;
  };
  let ports: LocalBrokerSpec['ports'];
  try {
    ports = {
      amqp: await pick('amqp'), amqps: await pick('amqps'), management: await pick('management'),
      managementTls: await pick('managementTls'), stream: await pick('stream'), streamTls: await pick('streamTls'),
      prometheus: await pick('prometheus'), dist: await pick('dist'),
    };
  } catch (err) {
    release(picked);
    throw err;
  }
  // Made once the ports are settled: a taken required port leaves nothing behind. 0700 (mkdtemp's mode)
  // before anything is written: the messages, logs and keys in it are nobody else's to read.
  const dir = mkdtempSync(join(tmpdir(), 'rabbit-tutorials-broker-'));
  const certs = generateCerts(join(dir, 'certs'));
  const nodeName = `rabbit-tutorials-${ports.amqp}@localhost`;
  for (const sub of ['mnesia', 'log', 'conf.d']) mkdirSync(join(dir, sub), { mode: 0o700 });
  const listeners = {
    amqpPort: ports.amqp, amqpsPort: ports.amqps, managementPort: ports.management, managementTlsPort: ports.managementTls,
    streamPort: ports.stream, streamTlsPort: ports.streamTls, prometheusPort: ports.prometheus, advertised: { host: 'localhost', streamPort: ports.stream, streamTlsPort: ports.streamTls },
    certDir: certs.dir, loopbackOnly: true,
  };
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  for (const [name, content] of Object.entries(options.layers?.(dir) ?? {})) writeFileSync(join(dir, 'conf.d', name), content);
  // Read last, so these win over any layer.
  writeFileSync(join(dir, 'conf.d', '99-local-node.conf'), options.layers
    ? listenersConf(listeners)
    : rabbitmqConf({ ...listeners, failIfNoPeerCert: options.failIfNoPeerCert }));
  writeFileSync(join(dir, 'enabled_plugins'), ENABLED_PLUGINS);
  // An empty env file, so the system's rabbitmq-env.conf (which names the system node) is not read.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const user = serverUser();
  if (user) execFileSync('chown', ['-R', `${user}:${user}`, dir]);
  const env = {
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(ports.dist),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONFIG_FILES: join(dir, 'conf.d'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // Erlang distribution on loopback too (it listens on every interface by default); an epmd this
    // node starts itself does the same (one already running is left as it is).
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  return { dir, nodeName, ports, certs, env, admin: options.admin ?? { username: 'guest', password: 'guest' } };
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

/** createLocalBroker, then startLocalBroker; a node that does not come up is removed again. */
export async function launchLocalBroker(options: Parameters<typeof createLocalBroker>[0] = {}): Promise<LocalBrokerSpec> {
  const spec = await createLocalBroker(options);
  try {
    await startLocalBroker(spec);
  } catch (err) {
    await destroyLocalBroker(spec);
    throw err;
  }
  return spec;
}

/** Where a node's clients find it, as the guest administrator. */
export function localEndpoint(spec: LocalBrokerSpec): Endpoint {
  return {
    host: '127.0.0.1', amqpPort: spec.ports.amqp, managementUrl: `http://127.0.0.1:${spec.ports.management}`,
    ...spec.admin,
  };
}

/** Starts the node in the background (it outlives this process) and waits until AMQP and management answer. */
export async function startLocalBroker(spec: LocalBrokerSpec, timeoutMs = 90_000): Promise<void> {
  const out = openSync(join(spec.dir, 'server.out'), 'a');
  const child = spawn('rabbitmq-server', [], { env: nodeEnv(spec), detached: true, stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (err) => (exited = err.message));
  child.unref();
  try {
    await waitUntilReady(localEndpoint(spec), { timeoutMs, failed: () => exited && `rabbitmq-server ${exited} before it was ready` });
  } catch (err) {
    throw new Error(`${(err as Error).message}:\n${logTail(spec)}`);
  }
}

/** The node's standard output (with console logging on, its log). */
export function serverOutput(spec: LocalBrokerSpec): string {
  const file = join(spec.dir, 'server.out');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Runs rabbitmqctl (or another of RabbitMQ's CLI tools) against the node. */
export async function rabbitmqctl(spec: LocalBrokerSpec, args: string[], tool: 'rabbitmqctl' | 'rabbitmq-upgrade' = 'rabbitmqctl'): Promise<string> {
  const { stdout } = await run(tool, args, { env: nodeEnv(spec), timeout: 150_000 });
  return stdout;
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

/** Stops the node and removes its data; a signal meanwhile (a second Ctrl+C) waits for the clean-up. */
export async function destroyLocalBroker(spec: LocalBrokerSpec): Promise<void> {
  const hold = () => undefined; // a listener: the signal no longer ends the process before its data is gone
  process.on('SIGINT', hold).on('SIGTERM', hold);
  try {
    await stopLocalBroker(spec);
    rmSync(spec.dir, { recursive: true, force: true });
    release(Object.values(spec.ports));
  } finally {
    process.off('SIGINT', hold).off('SIGTERM', hold);
  }
}
