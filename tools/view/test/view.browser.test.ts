// npm run view in a real browser (headless Chromium driven by Playwright): the hello and topic
// topologies drawn while their programs run, the counters moving, header arguments on a binding, a
// client's names shown as text and never as markup, a broker with 1,000 queues still usable.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerAtLeast, management, queueDepth, runApp, startApp, uniqueName, useVhost } from '@rabbit-tutorials/testing';
import { Management } from '@rabbit-tutorials/management';
import { startView } from '@rabbit-tutorials/view';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const NO_CHROMIUM = 'no Chromium at /usr/bin/chromium (apt-get install chromium): the browser tests need it';

const vhost = useVhost();
let browser: Browser | undefined;
beforeAll(async () => {
  if (CHROMIUM) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Runs `body` on the view of this test's vhost, open in a new page; fails on any page error or dialog. */
async function onView(body: (page: Page) => Promise<void>): Promise<void> {
  const view = await startView({ api: management(), vhost: vhost.name });
  const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console error: ${message.text()} (${message.location().url})`)); // a 404 too
  // What the server answered with an error status (the console says only "Failed to load resource").
  const answers: Promise<void>[] = [];
  page.on('response', (response) => response.status() >= 400 && answers.push(response.text().then(
    (text) => void problems.push(`${response.status()} from ${new URL(response.url()).pathname}: ${text.slice(0, 300)}`), () => undefined)));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  try {
    await page.goto(view.url);
    await body(page);
    await Promise.all(answers);
    expect(problems, `the page's problems: ${problems.join('; ')}`).toEqual([]);
  } finally {
    await page.close();
    await view.close();
  }
}
const picture = (page: Page) => page.locator('#picture').innerText();
/** Each drawn node's lines (SVG text has no innerText), for the nodes a selector finds. */
const nodes = (page: Page, selector: string) =>
  page.locator(`#picture ${selector}`).evaluateAll((found) => found.map((n) => [...n.querySelectorAll('text')].map((t) => t.textContent).join('\n')));

describe('npm run view, in Chromium', () => {
  it('hello while it runs: the queue and its consumer\'s connection by name, then its depth and rates moving', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const receiver = startApp('hello', 'receive', [], { ...vhost.env, RABBITMQ_CONNECTION_NAME: 'hello-receiver' });
    await receiver.waitFor(/Waiting for messages/);
    await onView(async (page) => {
      await expect.poll(() => picture(page), { timeout: 15_000 }).toMatch(/hello\s+quorum · 0 message\(s\), 0 unacked/);
      // The consumer, on its connection named by the program (RABBITMQ_CONNECTION_NAME).
      await expect.poll(() => nodes(page, '.node.connection'), { timeout: 15_000 }).toEqual([expect.stringMatching(/^hello-receiver\nuser /)]);
      const text = await picture(page);
      expect(text).toContain('(default exchange)');
      expect(text).toContain('key hello');
      expect(text).toMatch(/prefetch ∞/); // it sets none: the broker sends as fast as it can
      // A steady publisher: the broker's rates (refreshed every 5 s) reach the picture.
      const channel = await (await vhost.connect()).createChannel();
      const timer = setInterval(() => channel.sendToQueue('hello', Buffer.from('tick')), 20);
      try {
        await expect.poll(() => picture(page), { timeout: 20_000 }).toMatch(/hello\s+quorum[^\n]*\n\s*in [1-9][\d.]*\/s/);
      } finally {
        clearInterval(timer);
      }
      // The consumer gone, messages wait: the depth on the picture follows the broker's (a tick still in
      // flight when the consumer stopped may be among them).
      await receiver.stop();
      const confirmed = await (await vhost.connect()).createConfirmChannel();
      for (let i = 0; i < 3; i++) confirmed.sendToQueue('hello', Buffer.from('waiting'));
      await confirmed.waitForConfirms();
      const test = await vhost.connect();
      await expect.poll(async () => {
        const depth = await queueDepth(test, 'hello');
        return depth >= 3 && (await picture(page)).includes(`hello\nquorum · ${depth} message(s), 0 unacked`);
      }, { timeout: 20_000 }).toBe(true);
    });
  });

  it('topic and headers exchanges: bindings with their keys and header arguments, one queue per receiver', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const topic = startApp('topic-logs', 'receive', ['*.orange.*', 'lazy.#'], vhost.env);
    const headers = startApp('headers-logs', 'receive', ['all', 'level=error', 'source=db'], vhost.env);
    await topic.waitFor(/Waiting for logs/);
    await headers.waitFor(/Waiting for logs/);
    await onView(async (page) => {
      await expect.poll(() => picture(page), { timeout: 15_000 }).toContain('topic_logs');
      const text = await picture(page);
      expect(text).toContain('topic exchange');
      expect(text).toContain('key *.orange.*');
      expect(text).toContain('key lazy.#');
      expect(text).toContain('headers_logs');
      expect(text).toMatch(/x-match=all, level=error, source=db|level=error, source=db, x-match=all/);
      const queues = await nodes(page, '.node.queue'); // the receivers' own server-named queues
      expect(queues).toEqual([expect.stringMatching(/^amq\.gen-/), expect.stringMatching(/^amq\.gen-/)]);
    });
  });

  it('single active consumer: the active receiver\'s edge says so, the waiting one\'s "waiting"; after a kill, the other is active', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const receiver = (name: string) => startApp('single-active-consumer', 'receive', ['--name', name], { ...vhost.env, RABBITMQ_CONNECTION_NAME: `receiver-${name}` });
    const a = receiver('A');
    await a.waitFor(/Waiting for messages as A/);
    const b = receiver('B');
    await b.waitFor(/Waiting for messages as B/);
    await onView(async (page) => {
      await expect.poll(() => picture(page), { timeout: 15_000 }).toMatch(/receiver-B/);
      const text = await picture(page);
      expect(text).toContain('single_active_queue');
      expect(text.match(/active · prefetch 10/g)).toHaveLength(1);
      expect(text.match(/waiting · prefetch 10/g)).toHaveLength(1);
      a.kill('SIGKILL');
      await expect.poll(() => picture(page), { timeout: 20_000 }).not.toContain('receiver-A');
      // The broker's consumer list catches up with the takeover at its next statistics round.
      await expect.poll(() => picture(page), { timeout: 20_000 }).not.toContain('waiting');
      expect(await picture(page)).toContain('active · prefetch 10');
    });
  });

  it('a super stream: its exchange and its three partitions (stream queues), each bound with its partition order', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    if (!(await brokerAtLeast(3, 13))) return ctx.skip('super streams over the stream protocol need RabbitMQ 3.13');
    expect((await runApp('super-stream', 'send', ['--count', '30'], vhost.env)).code).toBe(0);
    await onView(async (page) => {
      await expect.poll(() => picture(page), { timeout: 15_000 }).toContain('invoices-2');
      expect((await nodes(page, '.node.queue')).map((n) => n.split('\n')[0]).sort()).toEqual(['invoices-0', 'invoices-1', 'invoices-2']);
      const text = await picture(page);
      // Each partition bound with its order in the super stream; each a stream queue holding its customers' invoices.
      for (const order of [0, 1, 2]) expect(text).toContain(`x-stream-partition-order=${order}`);
      expect(text.match(/^stream · \d+ message\(s\)/gm)).toHaveLength(3);
      expect(text.split('\n')).toContain('invoices');
    });
  });

  it('the retry chain with the task queue and hello: fits a 1400x900 window, 1:1 scrolls; the header counts what is drawn', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const programs = [startApp('retry', 'worker', [], vhost.env), startApp('task-queue', 'worker', [], vhost.env), startApp('hello', 'receive', [], vhost.env)];
    for (const program of programs) await program.waitFor(/Waiting for messages/);
    await onView(async (page) => {
      await expect.poll(async () => (await nodes(page, '.node.queue')).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(11);
      const svg = page.locator('#picture svg');
      const box = (await svg.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(1400);
      expect(box.y + box.height).toBeLessThanOrEqual(900);
      // The header says how many of each it draws, and of how many the vhost has.
      const count = async (kind: string) => (await nodes(page, `.node.${kind}`)).length;
      const [queues, exchanges, connections] = [await count('queue'), await count('exchange'), await count('connection')];
      const said = (n: number, noun: string) => `${n}( of \\d+)? ${noun}s?`; // "of N" when some are not drawn
      expect(await page.locator('#status').innerText()).toMatch(new RegExp(`^drawn: ${said(queues, 'queue')}, ${said(exchanges, 'exchange')}, ${said(connections, 'connection')}; `));
      // 1:1: the picture at its own size, the rest reached by scrolling.
      await page.locator('#fit').uncheck();
      const natural = Number(await svg.getAttribute('width'));
      await expect.poll(async () => Math.round((await svg.boundingBox())!.width)).toBe(natural);
    });
    for (const program of programs) await program.stop();
  });

  it('names a client chose are text on the page, never markup: a queue <img src=x onerror=alert(1)> shows as those characters', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    const hostile = '<img src=x onerror=alert(1)>';
    await channel.assertExchange('<b>exchange</b>', 'direct', { autoDelete: true });
    await channel.assertQueue(hostile, { exclusive: true });
    await channel.bindQueue(hostile, '<b>exchange</b>', '<script>alert(2)</script>');
    await onView(async (page) => {
      await expect.poll(() => picture(page), { timeout: 15_000 }).toContain(hostile);
      const text = await picture(page);
      expect(text).toContain('<b>exchange</b>');
      expect(text).toContain('key <script>alert(2)</script>');
      expect(await page.locator('#picture img, #picture script, #picture b').count()).toBe(0);
    });
  });

  it('1,000 queues: the busiest 300 drawn with a note saying so, and the filter finds any other', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const channel = await (await vhost.connect()).createChannel();
    const prefix = uniqueName('many');
    for (let i = 0; i < 1000; i++) await channel.assertQueue(`${prefix}-${String(i).padStart(4, '0')}`, { exclusive: true });
    await onView(async (page) => {
      await expect.poll(() => page.locator('#status').innerText(), { timeout: 30_000 }).toMatch(/showing the 300 busiest of 1000 queues/);
      const started = Date.now();
      await page.fill('#filter', `${prefix}-0999`);
      await expect.poll(() => picture(page), { timeout: 15_000 }).toContain(`${prefix}-0999`);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await nodes(page, '.node.queue')).toEqual([expect.stringMatching(new RegExp(`^${prefix}-0999\\n`))]);
      // The vhost list comes from the broker; this one is chosen.
      expect(await page.locator('#vhost').inputValue()).toBe(vhost.name);
    });
  });

  it('npm run demo -- --view: the page follows the tour, the step being run highlighted', async (ctx) => {
    if (!browser) return ctx.skip(NO_CHROMIUM);
    const tour = startApp('demo', 'tour', ['--view'], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: management().target.url });
    await tour.waitFor(/^View: http:\/\/127\.0\.0\.1:\d+\/\?vhost=demo-/, 1, 30_000);
    const url = /^View: (\S+)/.exec(tour.stdout.find((l) => l.startsWith('View: '))!)![1]!;
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const highlighted = () => nodes(page, '.node.step');
      await expect.poll(() => page.locator('#step').innerText(), { timeout: 30_000 }).toBe('demo step: hello');
      await expect.poll(highlighted, { timeout: 15_000 }).toEqual([expect.stringMatching(/^hello\b/)]);
      await expect.poll(() => page.locator('#step').innerText(), { timeout: 30_000 }).toBe('demo step: task-queue');
      await expect.poll(async () => (await highlighted()).map((t) => t.split('\n')[0]).sort(), { timeout: 15_000 }).toEqual(['task_queue', 'task_queue.dead']);
    } finally {
      await page.close();
      await tour.stop('SIGINT');
      // The tour's own vhost, left behind when it is stopped mid-way.
      await management().deleteVhost(decodeURIComponent(new URL(url).searchParams.get('vhost')!)).catch(() => undefined);
    }
  }, 120_000);

  it('the server answers only on loopback and only for its own host name (no DNS rebinding); the password stays in it', async () => {
    // A user of its own, with a password to look for in everything the server sends.
    const api = management();
    const user = uniqueName('viewer');
    const password = `pw-${randomBytes(12).toString('hex')}`;
    await api.createUser(user, password, 'monitoring');
    await api.setPermissions(vhost.name, user);
    const view = await startView({ api: new Management({ ...api.target, username: user, password }), vhost: vhost.name });
    try {
      const url = new URL(view.url);
      expect(url.hostname).toBe('127.0.0.1');
      const answers = await Promise.all(['/', '/view.js', '/api/vhosts', `/api/topology?vhost=${encodeURIComponent(vhost.name)}`]
        .map(async (path) => (await fetch(new URL(path, url))).text()));
      expect(answers[3]).toContain('"queues"');
      for (const answer of answers) expect(answer).not.toContain(password);
      const rebound = await new Promise<number>((resolve, reject) => {
        request(url, { headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end();
      });
      expect(rebound).toBe(421);
    } finally {
      await view.close();
      await api.deleteUser(user);
    }
  });
});
