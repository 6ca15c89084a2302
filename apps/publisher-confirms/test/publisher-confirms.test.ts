import { describe, expect, it } from 'vitest';
import { management, runApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('publisher-confirms', () => {
  it('every strategy gets every message confirmed and counted in its queue, then cleans up', async () => {
    const result = await runApp('publisher-confirms', 'publish', ['--count', '500', '--batch', '50'], vhost.env);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(3);
    const how = ['individually', 'in batches of 50', 'with asynchronous confirms'];
    lines.forEach((line, i) => expect(line).toMatch(new RegExp(
      `^Published 500 messages ${how[i]} in [\\d,]+ ms \\([\\d,]+ msg/s\\); all confirmed, 500 counted in the queue$`)));
    expect((await management().queues(vhost.name)).filter((q) => q.name.startsWith('publisher-confirms-'))).toEqual([]);
  });

  it('runs one strategy on request; usage errors exit 2', async () => {
    const result = await runApp('publisher-confirms', 'publish', ['--count', '2000', '--strategy', 'async'], vhost.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Published 2,000 messages with asynchronous confirms in .*2000 counted in the queue$/);
    const bad = await runApp('publisher-confirms', 'publish', ['--strategy', 'fast'], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --strategy must be one of individually, batches, async, all \(got "fast"\)\nusage: publish/);
  });
});
