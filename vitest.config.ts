import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 120_000 };
// Test files mostly wait (for brokers, for the programs they start): at least three at a time, even on
// two cores, where vitest's default (one fewer than the cores) would run them one by one.
const maxWorkers = Math.max(3, availableParallelism() - 1);
// The restart and cluster projects: every file starts at once and waits for its turn in its project
// (libs/testing/src/alone.ts), so the two projects' files run side by side, one of each at a time.
const waitingInLine = 16;

export default defineConfig({
  test: {
    // One broker for the whole run, shared by both projects.
    globalSetup: ['libs/testing/src/global-setup.ts'],
    // Broker-restart tests run last and alone: a restart would break every other test running then.
    projects: [
      {
        test: {
          ...shared,
          name: 'tests',
          include: ['apps/*/test/**/*.test.ts', 'libs/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'infra/test/**/*.test.ts'],
          exclude: ['**/*.restart.test.ts', '**/*.cluster.test.ts', '**/*.browser.test.ts', '**/node_modules/**'],
          maxWorkers,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'browser',
          // Headless Chromium (Playwright) on the page of npm run view: beside the other tests, on the same broker.
          include: ['tools/*/test/**/*.browser.test.ts'],
          maxWorkers, // the same as the tests it runs beside (vitest requires it of one group)
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'restart',
          // A broker restart and the reconnections around it take 30 to 60 s on a slow 2-core machine.
          testTimeout: 180_000,
          include: ['apps/*/test/**/*.restart.test.ts', 'libs/*/test/**/*.restart.test.ts', 'tools/*/test/**/*.restart.test.ts'],
          // One file at a time (alone.ts), beside the cluster project's files.
          setupFiles: ['libs/testing/src/alone.ts'],
          maxWorkers: waitingInLine,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: 'cluster',
          // A three-node cluster (docs/cluster.md), its nodes killed, frozen and restarted one by one: after the
          // other tests, so they keep their speed, and beside the broker-restart tests, which only touch the
          // single broker (and mostly wait for it).
          globalSetup: ['libs/testing/src/cluster-setup.ts'],
          testTimeout: 180_000,
          include: ['apps/*/test/**/*.cluster.test.ts', 'libs/*/test/**/*.cluster.test.ts', 'tools/*/test/**/*.cluster.test.ts', 'infra/test/**/*.cluster.test.ts'],
          setupFiles: ['libs/testing/src/alone.ts'],
          maxWorkers: waitingInLine,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: 'compat',
          // The edge: what an older broker (RabbitMQ 3.10, Debian 12's) and an older Node must keep doing, beside
          // the whole suite on its own platform (RabbitMQ 4.3 on Node 24: infra/testing-root.sh). Files of the
          // suite, so only on request (npm run test:compat); `npm test` leaves it out.
          include: [
            'apps/hello/test/hello.test.ts', 'apps/task-queue/test/worker.test.ts', 'apps/stream-queue/test/stream-queue.test.ts',
            'apps/stream-hello/test/stream-hello.test.ts', 'apps/stream-offset-tracking/test/stream-offset-tracking.test.ts',
            'libs/connection/test/connect.test.ts', 'libs/testing/test/pika-classic.test.ts', 'libs/testing/test/pika-interop.test.ts',
            'apps/priority/test/priority.test.ts', 'apps/single-active-consumer/test/single-active-consumer.test.ts',
            'apps/stream-filter/test/stream-filter.test.ts', 'apps/super-stream/test/super-stream.test.ts',
          ],
          maxWorkers,
          sequence: { groupOrder: 0 },
        },
      },
    ],
  },
});
