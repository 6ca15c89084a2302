// Each troubleshooting case on the real broker: the failure, our exact line for it, then the fix.
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { broker, destroyLocalBroker, freePort, hasLocalRabbitmq, launchLocalBroker, runApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

async function runCase(name: string, env: Record<string, string> = {}) {
  const result = await runApp('troubleshoot', name, [], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: broker().managementUrl, ...env });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n');
}

describe('troubleshooting cases', () => {
  it.each([
    ['wrong-credentials', [/^ \[!\] access refused: user "guest" could not log in to amqp:\/\/guest@.*: wrong user name or password \(403 ACCESS_REFUSED\)$/]],
    ['missing-vhost', [/^ \[!\] virtual host "troubleshoot-vhost-\d+" refused for user "guest": if it does not exist, create it with rabbitmqctl add_vhost troubleshoot-vhost-\d+; else grant the user access: .* \(530 NOT_ALLOWED\)$/]],
    // RabbitMQ 4 names the permission (configure access to queue ...), 3.x does not.
    ['missing-permission', [/^ \[!\] (configure )?access to queue 'troubleshoot-queue-\d+' in vhost '[^']+' refused for user 'troubleshoot-user-\d+': its (configure permission does|permissions do) not cover this queue; grant what the program needs with rabbitmqctl set_permissions -p \S+ troubleshoot-user-\d+ CONFIGURE WRITE READ \(403 ACCESS_REFUSED\)$/]],
    ['missing-queue', [/^ \[!\] queue 'troubleshoot-queue-\d+' does not exist in vhost '[^']+': start the program that declares it first, or declare it here \(404 NOT_FOUND\)$/]],
    ['missing-exchange', [/^ \[!\] exchange 'troubleshoot-exchange-\d+' does not exist in vhost '[^']+': start the program that declares it first, or declare it here \(404 NOT_FOUND\)$/]],
    ['inequivalent', [/^ \[!\] queue 'troubleshoot-queue-\d+' in vhost '[^']+' already exists with x-queue-type = 'quorum', but this program declares x-queue-type = 'classic': .* \(406 PRECONDITION_FAILED\)$/]],
    ['double-ack', [
      /^ \[!\] acked twice: unknown delivery tag 1: this channel has no such delivery: it was acked already, or it came on another channel \(one closed by a reconnect: the broker delivers its unacked messages again\) \(406 PRECONDITION_FAILED\)$/,
      /^ \[!\] acked on a channel that did not deliver it: unknown delivery tag 1: this channel has no such delivery/,
    ]],
    ['unroutable', [/^ \[!\] the broker returned a message for 'nobody': no queue is bound for it on 'troubleshoot-exchange-\d+' \(it would have been dropped\)$/]],
    ['queue-full', [/^ \[!\] the broker refused '3' \(nack\): queue 'troubleshoot-queue-\d+' is full \(x-max-length 2, x-overflow reject-publish\)$/]],
  ] as const)('%s: shows the failure in one line, then the fix working', async (name, failures) => {
    const lines = await runCase(name);
    const shown = lines.filter((l) => l.startsWith(' [!]'));
    expect(shown).toHaveLength(failures.length);
    failures.forEach((pattern, i) => expect(shown[i]).toMatch(pattern));
    expect(lines.at(-1)).toMatch(/^ \[✓\] fixed: /);
  });

  it('guest-remote: guest refused from another host (as if the password were wrong), a user of its own let in', async (ctx) => {
    // A broker of its own, also listening on this machine's network address: seen from there, we are "another host".
    const ip = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!ip || !hasLocalRabbitmq()) return ctx.skip(ip ? 'rabbitmq-server is not installed' : 'this machine has no network address besides loopback');
    const port = await freePort();
    const node = await launchLocalBroker({ layers: () => ({ '90-network.conf': `listeners.tcp.2 = ${ip}:${port}\n` }) });
    try {
      const result = await runApp('troubleshoot', 'guest-remote', [], {
        RABBITMQ_HOST: ip, RABBITMQ_PORT: String(port), RABBITMQ_MANAGEMENT_URL: `http://127.0.0.1:${node.ports.management}`, RABBITMQ_CONNECTION_ATTEMPTS: '1',
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^ \\[!\\] access refused: user "guest" could not log in to amqp://guest@${ip.replace(/\./g, '\\.')}:${port}/%2F: ` +
        'guest may only connect from localhost: set RABBITMQ_USER and RABBITMQ_PASSWORD to a user of that broker \\(403 ACCESS_REFUSED\\)$', 'm'));
      expect(result.stdout).toMatch(/^ \[✓\] fixed: user "troubleshoot-user-\d+" \(not guest\) logs in from this host$/m);
    } finally {
      await destroyLocalBroker(node);
    }
  }, 120_000);
});
