#!/usr/bin/env node
// Makes the secrets of the docker compose setup: a random password for every user, and the files that
// carry them. Run it once before `docker compose up`; run again, it keeps the passwords it made.
//   infra/.env                               compose reads it: ADMIN_PASSWORD, HELLO_PASSWORD, ..., GRAFANA_ADMIN_PASSWORD,
//                                            ERLANG_COOKIE (the nodes of docker-compose.cluster.yml authenticate each other by it)
//   infra/host.env                           the programs on this machine: cp infra/host.env .env
//   infra/rabbitmq/definitions.local.json    definitions.json with each user's password hash
// Usage: node infra/make-env.mjs [--out DIR]   (default: infra/, the folder of this script)
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const infra = dirname(fileURLToPath(import.meta.url));
let out;
try {
  out = parseArgs({ options: { out: { type: 'string' } } }).values.out ?? infra;
} catch (err) {
  process.stderr.write(`error: ${err.message.replace(/\. To specify .*$/s, '')}\nusage: node infra/make-env.mjs [--out DIR]\n`);
  process.exit(2);
}
const definitions = JSON.parse(readFileSync(join(infra, 'rabbitmq/definitions.json'), 'utf8'));

/** The variable holding a user's password: hello → HELLO_PASSWORD, task-queue → TASK_QUEUE_PASSWORD. */
const variable = (user) => `${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

// Keep the passwords of an earlier run, so running it again does not lock running services out.
const envFile = join(out, '.env');
// Never through a link: a link there could point the passwords at (or read them from) anybody's file.
for (const file of [envFile, join(out, 'host.env'), join(out, 'rabbitmq/definitions.local.json')]) {
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    process.stderr.write(`error: ${file} is a link: make-env.mjs writes only files of its own there; remove it and run again\n`);
    process.exit(1);
  }
}
const known = existsSync(envFile)
  ? Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  : {};
const passwords = Object.fromEntries(definitions.users.map((u) => [u.name, known[variable(u.name)] || randomBytes(18).toString('base64url')]));
// Grafana's admin (dashboards are open to anonymous viewers on this machine).
const grafanaPassword = known.GRAFANA_ADMIN_PASSWORD || randomBytes(18).toString('base64url');
// The cluster's shared secret: whoever has it controls every node (Erlang distribution).
const erlangCookie = known.ERLANG_COOKIE || randomBytes(32).toString('hex');

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)). */
const hash = (password) => {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest()]).toString('base64');
};

mkdirSync(join(out, 'rabbitmq'), { recursive: true });
const lines = (entries) => `${entries.map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
// The passwords are the user's alone: each file is made anew beside its place, 0600 before the passwords go
// in (whatever mode an older file had), and renamed over it.
const writePrivate = (file, text, mode = 0o600) => {
  const made = `${file}.${process.pid}.new`;
  writeFileSync(made, text, { mode, flag: 'wx' });
  chmodSync(made, mode); // exactly this mode, whatever the umask
  renameSync(made, file);
};
writePrivate(envFile, '# Made by infra/make-env.mjs: the passwords of the compose users. Keep it private.\n' +
  lines([...definitions.users.map((u) => [variable(u.name), passwords[u.name]]), ['GRAFANA_ADMIN_PASSWORD', grafanaPassword], ['ERLANG_COOKIE', erlangCookie]]));
// Where compose publishes the broker (or HAProxy): BROKER_AMQP_PORT and BROKER_MANAGEMENT_PORT move it, from the
// shell or infra/.env, as compose reads them; empty (any free port) cannot be known before `up`.
const published = (name, fallback) => {
  const value = process.env[name] ?? known[name] ?? fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    process.stderr.write(`error: ${name} must be a port from 1 to 65535 for infra/host.env (got "${JSON.stringify(value).slice(1, -1).slice(0, 40)}"); ` +
      'with any free port, set RABBITMQ_PORT and RABBITMQ_MANAGEMENT_URL in .env to what `docker compose port rabbitmq 5672` (15672) prints\n');
    process.exit(1);
  }
  return value;
};
const [amqpPort, managementPort] = [published('BROKER_AMQP_PORT', '5672'), published('BROKER_MANAGEMENT_PORT', '15672')];
writePrivate(join(out, 'host.env'), '# Made by infra/make-env.mjs: the programs on this machine against the compose broker (cp infra/host.env .env).\n' +
  lines([['RABBITMQ_HOST', 'localhost'], ['RABBITMQ_PORT', amqpPort], ['RABBITMQ_VHOST', 'tutorials'], ['RABBITMQ_USER', 'tutorials'],
    ['RABBITMQ_PASSWORD', passwords.tutorials], ['RABBITMQ_MANAGEMENT_URL', `http://localhost:${managementPort}`]]));
const withHashes = { ...definitions, users: definitions.users.map((u) => ({ ...u, password_hash: hash(passwords[u.name]), hashing_algorithm: 'rabbit_password_hashing_sha256' })) };
// Read by the broker in its container (another uid): readable, like the other files it is given.
writePrivate(join(out, 'rabbitmq/definitions.local.json'), `${JSON.stringify(withHashes, null, 2)}\n`, 0o644);
console.log(`wrote ${envFile}, ${join(out, 'host.env')} and ${join(out, 'rabbitmq/definitions.local.json')}`);
