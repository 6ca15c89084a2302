// npm run demo: finds a broker (RABBITMQ_URL, else Docker, else the local rabbitmq-server), then runs
// every pattern with the real programs, says what each shows, prints what the consumers received,
// and checks it. Exit 0 when every pattern behaved; else exit 1 naming the one that did not.
import { parseArgs } from 'node:util';
import { log, main } from '@rabbit-tutorials/connection';
import { Management } from '@rabbit-tutorials/management';
import { type AppProcess, type StartedBroker, brokerUrl, resolveBroker, servesStreamClient, spawnApp, versionAtLeast } from '@rabbit-tutorials/broker';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startView } from '@rabbit-tutorials/view';

type Env = Record<string, string>;
/** With --view, how long a step's programs stay up after it: the broker refreshes its numbers (consumers too) every 5 s. */
const VIEW_HOLD_MS = 9000;

/** The system's way to open a URL, if it has one; the URL is printed anyway. */
function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
}

const running: AppProcess[] = [];

function start(app: string, role: string, args: string[], env: Env): AppProcess {
  const proc = spawnApp(app, role, args, env);
  running.push(proc);
  return proc;
}

async function run(app: string, role: string, args: string[], env: Env): Promise<AppProcess> {
  const proc = start(app, role, args, env);
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`${app}:${role} exited ${code}: ${proc.stderr.join(' ').slice(0, 300)}`);
  for (const line of proc.stdout) console.log(`    ${app} ${role} | ${line}`);
  return proc;
}

/** Prints a consumer's received lines, indented under its name. */
function show(label: string, proc: AppProcess, pattern = /^ \[[x.]\]/): void {
  for (const line of proc.matching(pattern)) console.log(`    ${label} | ${line}`);
}

async function stopAll(): Promise<void> {
  for (const proc of running.splice(0)) proc.kill('SIGTERM');
}

function expectLines(label: string, proc: AppProcess, expected: string[]): void {
  const got = proc.matching(/^ \[x\]/);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(`${label} received ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }
}

// resources: the exchanges and queues a step uses (a name, or a prefix ending in *), highlighted by --view.
/** A step's run() may return what it left out (a broker too old for part of it): said instead of "ok". */
const steps: { name: string; what: string; resources: string[]; run: (env: Env) => Promise<string | void> }[] = [
  {
    name: 'hello',
    resources: ['hello'],
    what: 'One producer sends to the queue "hello"; one consumer prints what arrives.',
    async run(env) {
      const receiver = start('hello', 'receive', [], env);
      await receiver.waitFor(/Waiting for messages/);
      await run('hello', 'send', ['Hello', 'World!'], env);
      await receiver.waitFor(/Received 'Hello World!'/);
      show('hello receive', receiver);
    },
  },
  {
    name: 'task-queue',
    resources: ['task_queue', 'task_queue.dead'],
    what: 'Three workers compete for task_queue; prefetch 1 gives each task to the next free worker, acked after the work.',
    async run(env) {
      const workers = [1, 2, 3].map(() => start('task-queue', 'worker', ['--dot-ms', '200'], env));
      for (const w of workers) await w.waitFor(/Waiting for messages/);
      const tasks = ['First task.', 'Second task..', 'Third task...', 'Fourth task.', 'Fifth task..', 'Sixth task.'];
      for (const task of tasks) await run('task-queue', 'new-task', [task], env);
      const done = () => workers.reduce((n, w) => n + w.matching(/Done/).length, 0);
      for (let waited = 0; done() < tasks.length; waited += 100) {
        if (waited > 20_000) throw new Error(`only ${done()} of ${tasks.length} tasks were done`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      workers.forEach((w, i) => show(`worker ${i + 1}`, w, /Done/));
      if (workers.filter((w) => w.matching(/Done/).length > 0).length < 2) throw new Error('the tasks were not shared among the workers');
    },
  },
  {
    name: 'priority',
    resources: ['priority_queue'],
    what: 'An urgent message sent behind a backlog of 1,000 is delivered first: the queue orders by the priority the publisher set.',
    async run(env) {
      // A quorum queue orders by priority from RabbitMQ 4.0; before, a classic one with x-max-priority does.
      const older = Number(env.BROKER_VERSION!.split('.')[0]) < 4;
      const queueEnv = older ? { ...env, RABBITMQ_QUEUE_TYPE: 'classic' } : env;
      await run('priority', 'send', ['--count', '1000', 'normal'], queueEnv);
      await run('priority', 'send', ['--priority', '9', 'urgent'], queueEnv);
      const worker = start('priority', 'worker', ['--prefetch', '5'], queueEnv);
      await worker.waitFor(/Received 'normal #5'/, 1, 20_000);
      for (const line of worker.matching(/Received/).slice(0, 6)) console.log(`    priority worker | ${line}`);
      if (worker.matching(/Received/).slice(0, 5).every((line) => !line.includes("'urgent'"))) throw new Error('the urgent message did not come within the first prefetch');
      if (older) return `the quorum queue (RabbitMQ ${env.BROKER_VERSION} has no quorum queue priorities: a classic priority queue ran instead)`;
    },
  },
  {
    name: 'single-active-consumer',
    resources: ['single_active_queue'],
    what: 'Two receivers on a single-active-consumer queue: one gets every message, in order; killed, the other goes on where it left off.',
    async run(env) {
      // A subscribes first, so A is the active one.
      const a = start('single-active-consumer', 'receive', ['--name', 'A', '--work-ms', '50'], env);
      await a.waitFor(/Waiting for messages as A/);
      const b = start('single-active-consumer', 'receive', ['--name', 'B', '--work-ms', '50'], env);
      await b.waitFor(/Waiting for messages as B/);
      await run('single-active-consumer', 'send', ['--count', '20', 'step'], env);
      await a.waitFor(/A received 'step #5'/);
      a.kill('SIGKILL');
      await b.waitFor(/B received 'step #20'/, 1, 20_000);
      for (const line of a.matching(/received/)) console.log(`    receiver A | ${line}`);
      console.log('    receiver A | (killed)');
      for (const line of b.matching(/is the active consumer|received/).slice(0, 4)) console.log(`    receiver B | ${line}`);
      console.log(`    receiver B | ... ${b.matching(/received 'step #20'/)[0]}`);
      const numbers = b.matching(/received/).map((line) => Number(/#(\d+)/.exec(line)![1]));
      if (numbers.some((n, i) => i > 0 && n !== numbers[i - 1]! + 1)) throw new Error(`B took over out of order: ${numbers.join(', ')}`);
    },
  },
  {
    name: 'retry',
    resources: ['retry.*'],
    what: 'A message whose handling fails is rejected and comes back after 1 s, then 5 s (a queue per delay, the broker moving it); then it is done, once.',
    async run(env) {
      const worker = start('retry', 'worker', [], env);
      await worker.waitFor(/Waiting for messages/);
      await run('retry', 'send', ['pay invoice 7!!'], env); // each "!" fails one attempt
      await worker.waitFor(/Done pay invoice 7!! \(id \S+\) on attempt 3$/, 1, 20_000);
      for (const line of [...worker.stderr.filter((l) => /attempt \d for .* failed/.test(l)), ...worker.matching(/Done/)]) console.log(`    retry worker | ${line}`);
    },
  },
  {
    name: 'fanout-logs',
    resources: ['logs', 'amq.gen-*'],
    what: 'The fanout exchange "logs" copies every message to every bound queue: both receivers get it.',
    async run(env) {
      const receivers = [start('fanout-logs', 'receive', [], env), start('fanout-logs', 'receive', [], env)];
      for (const r of receivers) await r.waitFor(/Waiting for logs/);
      await run('fanout-logs', 'emit', ['info: a log line for everyone'], env);
      for (const [i, r] of receivers.entries()) {
        await r.waitFor(/a log line for everyone/);
        show(`receiver ${i + 1}`, r);
      }
    },
  },
  {
    name: 'direct-logs',
    resources: ['direct_logs', 'amq.gen-*'],
    what: 'The direct exchange routes by severity: one receiver binds warning and error, the other info.',
    async run(env) {
      const problems = start('direct-logs', 'receive', ['warning', 'error'], env);
      const info = start('direct-logs', 'receive', ['info'], env);
      await problems.waitFor(/Waiting for logs/);
      await info.waitFor(/Waiting for logs/);
      for (const [severity, text] of [['info', 'service started'], ['error', 'disk full'], ['warning', 'disk 90%']]) {
        await run('direct-logs', 'emit', [severity!, text!], env);
      }
      await problems.waitFor(/warning:disk 90%/);
      show('warning+error', problems);
      show('info', info);
      expectLines('warning+error receiver', problems, [' [x] error:disk full', ' [x] warning:disk 90%']);
      expectLines('info receiver', info, [' [x] info:service started']);
    },
  },
  {
    name: 'topic-logs',
    resources: ['topic_logs', 'amq.gen-*'],
    what: 'The topic exchange matches patterns: "*.orange.*" vs "*.*.rabbit" + "lazy.#".',
    async run(env) {
      const q1 = start('topic-logs', 'receive', ['*.orange.*'], env);
      const q2 = start('topic-logs', 'receive', ['*.*.rabbit', 'lazy.#'], env);
      await q1.waitFor(/Waiting for logs/);
      await q2.waitFor(/Waiting for logs/);
      for (const key of ['quick.orange.rabbit', 'lazy.brown.fox', 'quick.brown.fox']) await run('topic-logs', 'emit', [key, `a ${key}`], env);
      await q2.waitFor(/lazy\.brown\.fox/);
      show('*.orange.*', q1);
      show('*.*.rabbit lazy.#', q2);
      expectLines('*.orange.* receiver', q1, [' [x] quick.orange.rabbit:a quick.orange.rabbit']);
      expectLines('*.*.rabbit lazy.# receiver', q2, [' [x] quick.orange.rabbit:a quick.orange.rabbit', ' [x] lazy.brown.fox:a lazy.brown.fox']);
    },
  },
  {
    name: 'headers-logs',
    resources: ['headers_logs', 'amq.gen-*'],
    what: 'The headers exchange matches message headers: x-match all needs every header, any needs one.',
    async run(env) {
      const all = start('headers-logs', 'receive', ['all', 'level=error', 'source=db'], env);
      const any = start('headers-logs', 'receive', ['any', 'level=error', 'source=db'], env);
      await all.waitFor(/Waiting for logs/);
      await any.waitFor(/Waiting for logs/);
      await run('headers-logs', 'emit', ['--header', 'level=error', '--header', 'source=web', 'timeout'], env);
      await run('headers-logs', 'emit', ['--header', 'level=error', '--header', 'source=db', 'deadlock'], env);
      await all.waitFor(/deadlock/);
      await any.waitFor(/deadlock/);
      show('all', all);
      show('any', any);
      if (all.matching(/^ \[x\]/).length !== 1 || any.matching(/^ \[x\]/).length !== 2) throw new Error('headers routing differs from x-match all/any');
    },
  },
  {
    name: 'rpc-fib',
    resources: ['rpc_queue'],
    what: 'Request/reply: the client sends n to rpc_queue and waits for the reply matched by correlation id.',
    async run(env) {
      const server = start('rpc-fib', 'server', [], env);
      await server.waitFor(/Awaiting RPC requests/);
      const client = await run('rpc-fib', 'client', ['30'], env);
      if (!client.stdout.includes(' [.] Got 832040')) throw new Error('fib(30) was not 832040');
    },
  },
  {
    name: 'publisher-confirms',
    resources: ['publisher-confirms-*'],
    what: 'Publisher confirms three ways: one at a time, in batches, asynchronously. Same messages, very different speed.',
    async run(env) {
      const result = await run('publisher-confirms', 'publish', ['--count', '2000'], env);
      if (result.stdout.filter((l) => /all confirmed, 2000 counted/.test(l)).length !== 3) throw new Error('not every message was confirmed and counted');
    },
  },
  {
    name: 'troubleshooting',
    resources: ['troubleshoot*'],
    what: 'The failures users hit most, each caused on purpose: our one line for it, then the fix working.',
    async run(env) {
      for (const name of ['wrong-credentials', 'missing-vhost', 'missing-permission', 'missing-queue', 'missing-exchange', 'inequivalent', 'double-ack', 'unroutable', 'queue-full']) {
        const result = await run('troubleshoot', name, [], env);
        if (!result.stdout.some((l) => l.startsWith(' [!] ')) || !result.stdout.at(-1)?.startsWith(' [✓] fixed: ')) throw new Error(`case ${name} did not show its failure and fix`);
      }
    },
  },
  {
    name: 'streams',
    resources: ['hello-nodejs-stream', 'stream-offset-tracking-javascript'],
    what: 'A stream keeps what it is given: readers start where they choose (first, next, an offset) and take nothing away.',
    async run(env) {
      await run('stream-queue', 'send', ['first', 'entry'], env);
      await run('stream-queue', 'send', ['second', 'entry'], env);
      const readers = [start('stream-queue', 'receive', ['--offset', 'first'], env), start('stream-queue', 'receive', ['--offset', 'first'], env)];
      for (const reader of readers) await reader.waitFor(/Received message second entry/);
      readers.forEach((reader, i) => show(`stream-queue reader ${i + 1}`, reader));
      if (!servesStreamClient(env.BROKER_VERSION!)) {
        return `stream-hello and stream-offset-tracking (they need RabbitMQ 3.11 or later; this broker is ${env.BROKER_VERSION})`;
      }
      // The same stream over the stream protocol, then offset tracking: a second run goes on where the first stopped.
      const hello = start('stream-hello', 'receive', [], env);
      await hello.waitFor(/Received message second entry/);
      show('stream-hello receive', hello);
      for (const round of [1, 2]) {
        await run('stream-offset-tracking', 'send', [], env);
        const tracked = await run('stream-offset-tracking', 'receive', [], env);
        if (!tracked.stdout.some((l) => l.endsWith('(100 messages)'))) throw new Error(`offset tracking round ${round} did not read exactly its 100 messages`);
      }
    },
  },
  {
    name: 'stream-filter',
    resources: ['stream-filter-javascript'],
    what: 'Stream filtering: events appended region by region; the reader of one region gets (almost) only its chunks.',
    async run(env) {
      if (!versionAtLeast(env.BROKER_VERSION!, 3, 13)) return `stream-filter (it needs RabbitMQ 3.13 or later; this broker is ${env.BROKER_VERSION})`;
      for (const region of ['eu', 'us']) await run('stream-filter', 'send', ['--region', region, '--count', '2000'], env);
      const [filtered, other] = ['us', 'eu'].map((region) => start('stream-filter', 'receive', ['--region', region], env));
      await filtered!.waitFor(/Received event #2000 \(us\)/, 1, 20_000);
      await filtered!.stop('SIGINT');
      show('stream-filter receive --region us', filtered!, /The broker sent/);
      await other!.waitFor(/Received event #2000 \(eu\)/, 1, 20_000); // still reading (the step's picture shows it)
    },
  },
  {
    name: 'super-stream',
    resources: ['invoices*'],
    what: 'A super stream: invoices routed by customer to three partitions, one active member of the group per partition.',
    async run(env) {
      if (!versionAtLeast(env.BROKER_VERSION!, 3, 13)) return `super-stream (it needs RabbitMQ 3.13 or later; this broker is ${env.BROKER_VERSION})`;
      const member = start('super-stream', 'receive', ['--name', 'A'], env);
      await member.waitFor(/Waiting for invoices as A/);
      await run('super-stream', 'send', ['--count', '30', '--customers', '3'], env);
      await member.waitFor(/ received /, 30, 20_000);
      show('super-stream receive', member, /is active on|received customer-0 /);
    },
  },
];

main('tour [--view]   (--view: the live picture of each step in the browser, npm run view\'s page)', async () => {
  const { values } = parseArgs({ options: { view: { type: 'boolean' } } });
  // Ctrl+C or SIGTERM mid-tour: the programs stopped, then the clean-up the tour's end does (its broker too:
  // a node of its own runs in a process group of its own, which a terminal's Ctrl+C does not reach).
  const starting = resolveBroker();
  let cleanUp = async () => (await starting.catch(() => undefined))?.stop(); // a broker still starting: once it is up
  let interrupted: NodeJS.Signals | undefined;
  const stopped = new Promise<never>(() => undefined); // the tour's end when interrupted: onSignal exits
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return; // a second Ctrl+C waits for the clean-up too
    interrupted = signal;
    log(`${signal}: stopping the tour and cleaning up`);
    void stopAll().then(() => cleanUp()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let broker: StartedBroker;
  try {
    broker = await starting;
  } catch (err) {
    throw new Error((err as Error).message.replace('for the tests', 'for the demo'));
  }
  if (interrupted) return stopped;
  const { info } = broker;
  console.log(`Broker: ${info.description}\n`);
  const api = new Management({ url: info.managementUrl, username: info.username, password: info.password });
  // A vhost of its own keeps the demo away from other data; without the management API, the configured one.
  let vhost = `demo-${randomBytes(3).toString('hex')}`;
  const ownVhost = await api.createVhost(vhost).then(() => api.setPermissions(vhost, info.username)).then(() => true, () => false);
  if (!ownVhost) vhost = decodeURIComponent(new URL(process.env.RABBITMQ_URL ?? 'amqp://h/').pathname.slice(1)) || '/';
  // The programs get the broker's address, plus the user's connection settings (attempts, timeouts...).
  const address = new Set(['RABBITMQ_URL', 'RABBITMQ_HOST', 'RABBITMQ_PORT', 'RABBITMQ_USER', 'RABBITMQ_PASSWORD', 'RABBITMQ_VHOST']);
  const env: Env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('RABBITMQ_') && !address.has(k) && v) as [string, string][]),
    RABBITMQ_URL: brokerUrl(info, vhost),
    RABBITMQ_STREAM_PORT: String(info.streamPort),
    RABBITMQ_MANAGEMENT_URL: info.managementUrl,
    ...info.tlsEnv,
  };
  const version = await api.overview().then((o) => o.rabbitmq_version, () => '0.0');
  // --view: the page follows the tour, the step being run highlighted; each step stays up a few seconds to be seen.
  const view = values.view ? await startView({ api, vhost }) : undefined;
  cleanUp = async () => {
    await view?.close();
    if (ownVhost) await api.deleteVhost(vhost).catch(() => undefined);
    await broker.stop();
  };
  if (view) {
    console.log(`View: ${view.url}\n`);
    openInBrowser(view.url);
  }
  const stepEnv = { ...env, BROKER_VERSION: version };
  let failed: string | undefined;
  const skipped: string[] = [];
  try {
    for (const [i, step] of steps.entries()) {
      console.log(`${i + 1}. ${step.name}: ${step.what}`);
      view?.setStep({ name: step.name, resources: step.resources });
      try {
        const left = await step.run(stepEnv);
        if (view) await new Promise((resolve) => setTimeout(resolve, VIEW_HOLD_MS));
        if (left) skipped.push(left);
        console.log(left ? `   ok; skipped: ${left}\n` : '   ok\n');
      } catch (err) {
        failed = `${step.name}: ${(err as Error).message}`;
        break;
      } finally {
        await stopAll();
      }
    }
  } finally {
    if (!interrupted) await cleanUp();
  }
  if (interrupted) return stopped; // a step failed because its programs were stopped: not a failure of the pattern
  if (failed) throw new Error(`the demo failed at ${failed}`);
  console.log(skipped.length ? `All ${steps.length} steps behaved as expected; skipped: ${skipped.join('; ')}.` : `All ${steps.length} patterns behaved as expected.`);
});
