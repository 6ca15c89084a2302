// Instructions per RPC call in the rpc-fib server (one request consumed and acked, one reply published),
// counted by valgrind's callgrind in the server's main thread: repeatable whatever else the machine does,
// unlike a throughput. Telemetry off, metrics, and tracing by this project's preload and by the stock
// OpenTelemetry amqplib instrumentation (stock-tracing.mjs), with nothing recorded, one trace in ten and
// every span. Run alone (npx tsx tools/bench/src/instructions.ts, a broker from RABBITMQ_URL) or by
// npm run bench; either writes docs/performance-instructions.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppProcess, spawnApp } from '@rabbit-tutorials/broker';
import { connect, log, main } from '@rabbit-tutorials/connection';
import { formatNumber, table } from '@rabbit-tutorials/management';
import { discardingCollector } from './index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
// Long enough that the sampled path is optimised too (one call in ten) and that the counted window takes in
// its share of garbage collection and exports: with 2,000 calls, one major GC more or less moved a mode by 10%.
const WARM_UP = 5000;
const CALLS = 10_000;

/** The server's main thread's instructions per call over CALLS calls, after WARM_UP calls to let V8 optimise. */
async function perCall(env: Record<string, string>, serverEnv: Record<string, string>, queue: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
  try {
    const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'out')}`,
      process.execPath, '--import', 'tsx', join(ROOT, 'apps/rpc-fib/src/server.ts'), '--queue', queue, '--queue-type', 'classic', '--prefetch', '32', '--quiet'],
    { cwd: ROOT, env: { ...process.env, ...env, ...serverEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new AppProcess(child, 'rpc-fib server under callgrind');
    try {
      await server.waitFor(/Awaiting RPC requests/, 1, 300_000);
      // Under valgrind a reply may take seconds while V8 compiles: no call timeout worth the name.
      const calls = async (n: number) => {
        const client = spawnApp('rpc-fib', 'many-calls', ['--queue', queue, '--quiet', '--in-flight', '32', '--timeout', '300000', ...Array<string>(n).fill('30')], env);
        const { code } = await client.exited;
        if (code !== 0) throw new Error(`many-calls failed: ${client.stderr.join(' ')}`);
      };
      await calls(WARM_UP);
      execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
      await calls(CALLS);
      execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
      // The dump's main thread: out.1-01 ("summary: N").
      const file = readdirSync(dir).find((f) => /^out\.\d+-01$/.test(f));
      const summary = file && /^summary: (\d+)$/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1];
      if (!summary) throw new Error('callgrind wrote no dump of the main thread');
      return Number(summary) / CALLS;
    } finally {
      child.kill('SIGKILL');
      await server.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table (markdown) of each mode's instructions per call and what it adds to off; why not, if it cannot run. */
export async function instructionSection(env: Record<string, string>, only?: RegExp): Promise<string> {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'not measured: valgrind is not installed (apt-get install valgrind)';
  }
  const { modes, close } = await discardingCollector();
  const counted: [string, number][] = [];
  try {
    for (const [i, [mode, serverEnv]] of modes.entries()) {
      if (only && mode !== 'off' && !only.test(mode)) continue;
      counted.push([mode, await perCall(env, serverEnv, `bench.callgrind-${i}`)]);
      log(`${mode}: ${formatNumber(Math.round(counted.at(-1)![1]))} instructions per call`);
    }
  } finally {
    close();
  }
  const off = counted[0]![1];
  const of = (mode: string) => counted.find(([m]) => m === mode)![1] - off;
  const verdict = (what: string, ok: boolean, target: string) => `${what}: ${ok ? '✓' : '✗'} (${target})`;
  const rows = counted.map(([mode, n]) => [mode, formatNumber(Math.round(n)), mode === 'off' ? '' : `+${formatNumber(Math.round(n - off))} (+${((n / off - 1) * 100).toFixed(0)}%)`]);
  const printed = table(['rpc-fib server, main thread', 'instructions per call', 'added to off'], rows);
  if (only) return printed; // some modes: no verdicts
  return [
    printed,
    '',
    verdict('metrics', of('metrics (METRICS_PORT)') <= 0.1 * off, 'target: at most +10% over off'),
    verdict('nothing recorded', of('tracing, nothing recorded (ratio 0): ours') <= of('tracing, nothing recorded (ratio 0): stock') / 2, 'target: ours adds at most half of what stock adds'),
    verdict('1 trace in 10', of('tracing, 1 trace in 10: ours') <= of('tracing, 1 trace in 10: stock') / 2, 'target: ours adds at most half of what stock adds'),
    verdict('every span', of('tracing, every span: ours') < of('tracing, every span: stock'), 'target: ours adds less than stock'),
  ].join('\n');
}

/** docs/performance-instructions.md, from a section made by instructionSection(). */
export function writeInstructionDoc(section: string, version: string): void {
  writeFileSync(join(ROOT, 'docs/performance-instructions.md'), [
    `# Instructions per message: telemetry against the stock instrumentation (RabbitMQ ${version}, Node ${process.version.replace(/^v/, '')})`,
    '',
    'Written by `npm run bench` or `npx tsx tools/bench/src/instructions.ts` (do not edit by hand). The rpc-fib',
    `server runs under valgrind's callgrind (\`--separate-threads=yes\`); after ${formatNumber(WARM_UP)} calls to warm it up, its`,
    `counters are zeroed and ${formatNumber(CALLS)} calls (fib(30), 32 in flight, from an untraced many-calls) are counted: each`,
    'call is one request consumed and acked and one reply published. The figure is the main thread\'s (the',
    `program's JavaScript; V8's compiler and GC threads apart), divided by ${formatNumber(CALLS)}. Instructions, not seconds: about`,
    'the same count whatever else the machine does. Over fewer calls a garbage collection more or less, or an export,',
    'moved a mode by up to 10%; over these, two runs of off and of metrics agreed within 1% on Node 20. On Node 24,',
    'off moved by 2% between runs and the tracing modes by as much as a fifth: compare two runs before trusting a gap.',
    '',
    '- off: no preload. metrics: this project\'s preload with `METRICS_PORT=0`.',
    '- ours: `--import @rabbit-tutorials/telemetry/register` (libs/telemetry: OpenTelemetry\'s amqplib instrumentation',
    '  with its per-message work cut for what is not recorded); stock: the Node SDK with',
    '  `@opentelemetry/instrumentation-amqplib` as it comes (tools/bench/src/stock-tracing.mjs). Both export OTLP',
    '  over HTTP to a collector that discards the spans; the same sampler from `OTEL_TRACES_SAMPLER`',
    '  (`parentbased_traceidratio`, ratio 0 or 0.1) or the SDK\'s default (every span).',
    '- Under valgrind the exporter\'s timers and posts run at valgrind\'s pace, not the program\'s: with spans',
    '  recorded, their encoding and export are counted in full whichever way, as they are the same work for both.',
    '- The broker\'s share cannot be counted this way (Erlang under valgrind): a traced message carries a header',
    '  table it decodes and encodes; docs/observability.md measures its CPU per call from /proc.',
    '',
    '```',
    section,
    '```',
    '',
  ].join('\n'));
}

// Alone: the broker from RABBITMQ_URL (e.g. the one npm run broker prints).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main('instructions [--only REGEX]   (RABBITMQ_URL: the broker)\nCounts the rpc-fib server\'s instructions per call under callgrind, telemetry off, ours and stock; writes docs/performance-instructions.md.\n' +
    '--only: off and the modes whose name matches, printed only (e.g. --only "1 trace in 10").', async () => {
    const { values } = parseArgs({ options: { only: { type: 'string' } } });
    const only = values.only === undefined ? undefined : new RegExp(values.only);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('RABBITMQ_'))) as Record<string, string>;
    const connection = await connect({ name: 'instructions' });
    const version = String(connection.connection.serverProperties?.version ?? '?');
    await connection.close();
    const section = await instructionSection(env, only);
    console.log(section);
    if (!only) writeInstructionDoc(section, version);
  });
}
