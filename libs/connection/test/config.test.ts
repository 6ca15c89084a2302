import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, atAddress, describeAddresses, describeTarget, loadConfig, redact } from '../src/index.js';
import { broker, ROOT } from '@rabbit-tutorials/testing';

describe('loadConfig', () => {
  it('defaults to guest@localhost:5672, vhost /, plain TCP', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ hostname: 'localhost', port: 5672, username: 'guest', password: 'guest', vhost: '/', heartbeat: 60, connectionAttempts: 5 });
    expect(c.tls).toBeUndefined();
  });

  it.each([
    ['amqp://u:p@h:1234/v', { hostname: 'h', port: 1234, username: 'u', password: 'p', vhost: 'v' }],
    ['amqp://h', { hostname: 'h', port: 5672, username: 'guest', vhost: '/' }],
    ['amqp://h/', { vhost: '/' }],
    ['amqp://h/%2F', { vhost: '/' }],
    ['amqp://h/a%2Fb', { vhost: 'a/b' }],
    ['amqp://us%40er:p%3Ass@h/v', { username: 'us@er', password: 'p:ss' }],
    ['amqps://h', { port: 5671, tls: { verify: true } }],
    ['amqp://[::1]:5673', { hostname: '::1', port: 5673 }],
    ['amqp://h?heartbeat=10&connection_timeout=2000&channel_max=5&frame_max=8192', { heartbeat: 10, connectTimeoutMs: 2000, channelMax: 5, frameMax: 8192 }],
  ])('parses RABBITMQ_URL %s', (url, expected) => {
    expect(loadConfig({ RABBITMQ_URL: url })).toMatchObject(expected);
  });

  it('takes a cluster\'s addresses: comma-separated URLs, or hosts with ports', () => {
    const c = loadConfig({ RABBITMQ_URL: 'amqp://u:p,w@h1:5672/v, amqp://u:p,w@h2:5673/v,amqp://u:p,w@[::1]/v' });
    expect(c).toMatchObject({ hostname: 'h1', port: 5672, username: 'u', password: 'p,w', vhost: 'v' });
    expect(c.addresses).toEqual([{ hostname: 'h1', port: 5672 }, { hostname: 'h2', port: 5673 }, { hostname: '::1', port: 5672 }]);
    expect(describeAddresses(c)).toBe('h1:5672, h2:5673, [::1]:5672');
    expect(atAddress(c, 4)).toMatchObject({ hostname: 'h2', port: 5673, username: 'u' });
    expect(loadConfig({ RABBITMQ_HOST: 'a,b:5680,[::1]:5681', RABBITMQ_PORT: '5679' }).addresses).toEqual([
      { hostname: 'a', port: 5679 }, { hostname: 'b', port: 5680 }, { hostname: '::1', port: 5681 },
    ]);
    expect(loadConfig({ RABBITMQ_HOST: '::1' }).addresses).toEqual([{ hostname: '::1', port: 5672 }]);
    expect(loadConfig({}).addresses).toEqual([{ hostname: 'localhost', port: 5672 }]);
  });

  it.each([
    [{ RABBITMQ_URL: 'amqp://u:p@a/v,amqp://u:other@b/v' }, 'RABBITMQ_URL address 2 has another password than the first'],
    [{ RABBITMQ_URL: 'amqp://u:p@a/v,amqps://u:p@b/v' }, 'RABBITMQ_URL address 2 has another scheme than the first'],
    [{ RABBITMQ_URL: 'amqp://a/v,amqp://b/w' }, 'RABBITMQ_URL address 2 has another vhost than the first'],
    [{ RABBITMQ_URL: 'amqp://a,amqp://b?heartbeat=5' }, 'RABBITMQ_URL address 2 has another query parameters than the first'],
    [{ RABBITMQ_URL: 'amqp://a,amqp://b:70000' }, 'RABBITMQ_URL (address 2) is not a valid URI'],
    [{ RABBITMQ_URL: 'amqp://a/v,amqp://b/v%' }, 'RABBITMQ_URL (address 2) has a badly encoded vhost'],
    [{ RABBITMQ_URL: 'amqp://a:5672,amqp://a' }, 'RABBITMQ_URL lists a:5672 twice'],
    [{ RABBITMQ_URL: 'amqp://h1,,amqp://h2' }, 'RABBITMQ_URL (address 1) has a bad host name "h1,"'],
    [{ RABBITMQ_HOST: 'a,b_c d' }, 'RABBITMQ_HOST has a bad address "b_c d"'],
    [{ RABBITMQ_HOST: 'a,,b' }, 'RABBITMQ_HOST has a bad address ""'],
    [{ RABBITMQ_HOST: 'a,b:x' }, 'RABBITMQ_HOST has a bad address "b:x"'],
    [{ RABBITMQ_HOST: 'a,[nope]:1' }, 'RABBITMQ_HOST has a bad address "[nope]:1"'],
    [{ RABBITMQ_HOST: 'a,b\u001b[31m' }, 'RABBITMQ_HOST has a bad address "b\\u001b[31m"'],
    [{ RABBITMQ_HOST: 'a,b:0' }, 'RABBITMQ_HOST port must be a whole number from 1 to 65535 (got "0")'],
  ])('refuses a bad address list %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads discrete variables, TLS switching the default port to 5671', () => {
    expect(loadConfig({ RABBITMQ_HOST: 'rabbit', RABBITMQ_USER: 'app', RABBITMQ_PASSWORD: ' s p ', RABBITMQ_VHOST: 'a/b', RABBITMQ_SSL: 'on' }))
      .toMatchObject({ hostname: 'rabbit', port: 5671, username: 'app', password: ' s p ', vhost: 'a/b', tls: { verify: true } });
    expect(loadConfig({ RABBITMQ_PORT: '6000', RABBITMQ_SSL: 'yes' }).port).toBe(6000);
    expect(loadConfig({ RABBITMQ_HEARTBEAT: '0', RABBITMQ_CONNECTION_ATTEMPTS: '1', RABBITMQ_RETRY_DELAY_MS: '5', RABBITMQ_CONNECTION_NAME: 'n' }))
      .toMatchObject({ heartbeat: 0, connectionAttempts: 1, retryDelayMs: 5, connectionName: 'n' });
  });

  it('accepts the classic programs\' RABBITMQ_MASTER_* names, and refuses a pair that disagrees', () => {
    expect(loadConfig({ RABBITMQ_MASTER_HOST: 'rabbit', RABBITMQ_MASTER_PORT: '5673', RABBITMQ_MASTER_USER: 'app', RABBITMQ_MASTER_PASS: ' p ' }))
      .toMatchObject({ hostname: 'rabbit', port: 5673, username: 'app', password: ' p ' });
    expect(loadConfig({ RABBITMQ_HOST: 'rabbit', RABBITMQ_MASTER_HOST: 'rabbit' }).hostname).toBe('rabbit');
    expect(() => loadConfig({ RABBITMQ_PASSWORD: 'one-s3cret', RABBITMQ_MASTER_PASS: 'other-s3cret' }))
      .toThrow(/^RABBITMQ_PASSWORD and RABBITMQ_MASTER_PASS are both set, to different values: unset one$/);
    expect(() => loadConfig({ RABBITMQ_MASTER_PORT: 'x' })).toThrow(/^RABBITMQ_MASTER_PORT must be a whole number/);
    expect(() => loadConfig({ RABBITMQ_URL: 'amqp://h', RABBITMQ_MASTER_USER: 'app' })).toThrow(/^RABBITMQ_URL and RABBITMQ_MASTER_USER are both set/);
  });

  it('declares the tutorial queues as quorum queues unless RABBITMQ_QUEUE_TYPE=classic', () => {
    expect(loadConfig({}).queueType).toBe('quorum');
    expect(loadConfig({ RABBITMQ_QUEUE_TYPE: 'Classic' }).queueType).toBe('classic');
    expect(() => loadConfig({ RABBITMQ_QUEUE_TYPE: 'stream' })).toThrow(/^RABBITMQ_QUEUE_TYPE must be quorum or classic \(got "stream"\)$/);
  });

  it('an IDN host goes to DNS as punycode; an IPv6 zone is kept, in a URI (%25) as in RABBITMQ_HOST', () => {
    expect(loadConfig({ RABBITMQ_HOST: 'bücher.example' }).hostname).toBe('xn--bcher-kva.example');
    expect(loadConfig({ RABBITMQ_URL: 'amqp://bücher.example/' }).hostname).toBe('xn--bcher-kva.example');
    expect(loadConfig({ RABBITMQ_URL: 'amqp://guest:pw@[fe80::1%25eth0]:5673/' })).toMatchObject({ hostname: 'fe80::1%eth0', port: 5673, password: 'pw' });
    expect(loadConfig({ RABBITMQ_HOST: 'fe80::1%eth0' }).hostname).toBe('fe80::1%eth0');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ RABBITMQ_URL: '', RABBITMQ_PORT: ' ' }).port).toBe(5672);
  });

  it.each([
    [{ RABBITMQ_PORT: 'abc' }, /^RABBITMQ_PORT must be a whole number from 1 to 65535 \(got "abc"\)$/],
    [{ RABBITMQ_PORT: '70000' }, /^RABBITMQ_PORT must be a whole number from 1 to 65535 \(got "70000"\)$/],
    // The bad value is escaped and cut: no terminal codes, no forged lines.
    [{ RABBITMQ_PORT: '\x1b[2J\nerror: forged' }, /^RABBITMQ_PORT must be a whole number from 1 to 65535 \(got "\\x1b\[2J\\nerror: forged"\)$/],
    [{ RABBITMQ_SSL: 'x'.repeat(100) }, /^RABBITMQ_SSL must be on or off \(got "x{40}\.\.\. \(100 characters\)"\)$/],
    [{ RABBITMQ_HEARTBEAT: '-1' }, /^RABBITMQ_HEARTBEAT must be a whole number/],
    [{ RABBITMQ_CONNECTION_ATTEMPTS: '0' }, /^RABBITMQ_CONNECTION_ATTEMPTS must be a whole number from 1/],
    [{ RABBITMQ_SSL: 'maybe' }, /^RABBITMQ_SSL must be on or off \(got "maybe"\)$/],
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_VERIFY: 'sometimes' }, /^RABBITMQ_SSL_VERIFY must be on or off/],
    [{ RABBITMQ_URL: 'http://h' }, /^RABBITMQ_URL has scheme "http", not amqp or amqps/],
    [{ RABBITMQ_URL: 'not a url' }, /^RABBITMQ_URL is not a valid URI/],
    [{ RABBITMQ_URL: 'amqp://h/a/b' }, /encode it as %2F/],
    [{ RABBITMQ_URL: 'amqp://h?bogus=1' }, /unknown query parameter "bogus"/],
    [{ RABBITMQ_URL: 'amqp://h?heartbeat=x' }, /^RABBITMQ_URL heartbeat must be a whole number/],
    [{ RABBITMQ_URL: 'amqp://h', RABBITMQ_HOST: 'x' }, /^RABBITMQ_URL and RABBITMQ_HOST are both set/],
    [{ RABBITMQ_URL: 'amqps://h', RABBITMQ_SSL: 'off' }, /RABBITMQ_SSL is off but RABBITMQ_URL is amqps/],
    [{ RABBITMQ_URL: 'amqp://h', RABBITMQ_SSL: 'on' }, /use amqps:\/\/ in the URL/],
    [{ RABBITMQ_SSL_CA: '/etc/hostname' }, /^RABBITMQ_SSL_CA is set but TLS is off/],
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/nonexistent/ca.pem' }, /^RABBITMQ_SSL_CA: cannot read \/nonexistent\/ca.pem \(ENOENT\)$/],
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/etc/hostname' }, /^RABBITMQ_SSL_CA: \/etc\/hostname is not a valid PEM certificate$/],
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CERT: '/etc/hostname' }, /^RABBITMQ_SSL_KEY is missing/],
    // A "file" that never ends would hang the program; a directory is no PEM either.
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/dev/zero' }, /^RABBITMQ_SSL_CA: \/dev\/zero is not a regular file$/],
    [{ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: '/etc' }, /^RABBITMQ_SSL_CA: \/etc is not a regular file$/],
  ])('rejects %o with one clear line', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses a PEM file over 1 MiB, and a client certificate and key that are not a pair, naming the variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pem-'));
    try {
      writeFileSync(join(dir, 'big.pem'), Buffer.alloc(1024 * 1024 + 1, 'A'));
      expect(() => loadConfig({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CA: join(dir, 'big.pem') })).toThrow(/^RABBITMQ_SSL_CA: .*big\.pem is over 1 MiB: not a PEM certificate$/);
      for (const name of ['a', 'b']) {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
          '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
      }
      const pair = (cert: string, key: string) => () => loadConfig({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CERT: join(dir, cert), RABBITMQ_SSL_KEY: join(dir, key) });
      expect(pair('a.pem', 'a.key')).not.toThrow();
      expect(pair('a.pem', 'b.key')).toThrow(new ConfigError('RABBITMQ_SSL_CERT and RABBITMQ_SSL_KEY do not match: the key is not the certificate\'s private key'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the client key and its passphrase at startup', () => {
    const tls = broker().tls;
    if (!tls) return;
    expect(loadConfig({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CERT: tls.clientCert, RABBITMQ_SSL_KEY: tls.clientKey }).tls?.key).toBeInstanceOf(Buffer);
    expect(() => loadConfig({ RABBITMQ_SSL: 'on', RABBITMQ_SSL_CERT: tls.clientCert, RABBITMQ_SSL_KEY: tls.clientCert }))
      .toThrow(/^RABBITMQ_SSL_KEY: .* is not a valid PEM private key$/);
  });

  it('never shows the password', () => {
    const c = loadConfig({ RABBITMQ_URL: 'amqp://user:s3cret@h/v' });
    expect(describeTarget(c)).toBe('amqp://user@h:5672/v');
    expect(redact('failed on amqp://user:s3cret@h/v and amqps://u:x@y')).toBe('failed on amqp://user:***@h/v and amqps://u:***@y');
    // The scheme in capitals, a / in the password (unencoded).
    expect(redact('AMQP://u:SECRET@host/ and Amqps://u:SECRET@h')).toBe('AMQP://u:***@host/ and Amqps://u:***@h');
    expect(redact('amqp://u:pa/ss@host/ HTTP://u:pa/ss@h:15672')).toBe('amqp://u:***@host/ HTTP://u:***@h:15672');
    // A password with @ in it (unencoded), and management URLs.
    expect(redact('amqp://u:p@ss@h:5672/v')).toBe('amqp://u:***@h:5672/v');
    expect(redact('at http://admin:pa@ss@host:15672/api and https://u:x@y/z')).toBe('at http://admin:***@host:15672/api and https://u:***@y/z');
    for (const env of [{ RABBITMQ_URL: 'amqp://user:s3cret@h:99999' }, { RABBITMQ_URL: 'amqp://user:s3cret@h?x=1' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      try {
        loadConfig(env);
      } catch (err) {
        expect((err as Error).message).not.toContain('s3cret');
      }
    }
  });

  it('a program with bad config prints one line, no stack, and exits 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'libs/connection/test/fixtures/print-config.ts')], {
      env: { PATH: process.env.PATH, RABBITMQ_URL: 'amqp://user:s3cret@h:abc/' }, encoding: 'utf8', cwd: ROOT,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: RABBITMQ_URL /);
    expect(result.stderr).not.toContain('s3cret');
  });
});
