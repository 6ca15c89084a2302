// The pictures in the docs: runs `npm run demo -- --view` and, as each step is shown, takes a
// screenshot of the page with headless Chromium (Playwright): docs/patterns/img/<step>.png.
//   npx tsx tools/view/src/screenshots.ts [--chromium PATH]   (a broker as for the demo: RABBITMQ_URL, Docker or local)
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { main } from '@rabbit-tutorials/connection';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The steps with a pattern's docs page, and the page's name. */
const PAGES: Record<string, string> = {
  hello: 'hello', 'task-queue': 'task-queue', retry: 'retry', 'fanout-logs': 'fanout-logs', 'direct-logs': 'direct-logs',
  'topic-logs': 'topic-logs', 'headers-logs': 'headers-logs', 'rpc-fib': 'rpc-fib', priority: 'priority', 'single-active-consumer': 'single-active-consumer',
  'stream-filter': 'stream-filter', 'super-stream': 'super-stream',
  // publisher-confirms deletes its queues as it ends
};

main('screenshots [--chromium PATH]', async () => {
  const { values } = parseArgs({ options: { chromium: { type: 'string' } } });
  const out = join(ROOT, 'docs/patterns/img');
  mkdirSync(out, { recursive: true });
  const tour = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/demo/src/tour.ts'), '--view'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    tour.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.split('\n'));
      const found = lines.map((l) => /^View: (\S+)/.exec(l)?.[1]).find(Boolean);
      if (found) resolve(found);
    });
    tour.once('exit', (code) => reject(new Error(`the demo ended (${code}) before its view started`)));
  });
  const browser = await chromium.launch({ executablePath: values.chromium ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  await page.goto(url);
  const taken = new Set<string>();
  const ended = new Promise<void>((resolve) => tour.once('exit', () => resolve()));
  let done = false;
  void ended.then(() => (done = true));
  while (!done) {
    const step = (await page.locator('#step').innerText().catch(() => '')).replace(/^demo step: /, '');
    if (PAGES[step] && !taken.has(step)) {
      taken.add(step);
      await page.waitForTimeout(7000); // the step's programs running, and the broker's numbers (consumers too) refreshed
      // The picture alone, all of it: the header hidden, the window as big as the picture.
      const header = (show: boolean) => page.evaluate(`document.querySelector('header').style.display = '${show ? '' : 'none'}'`);
      await header(false);
      const box = await page.locator('#picture svg').boundingBox();
      if (box) await page.setViewportSize({ width: Math.max(1200, Math.ceil(box.width) + 60), height: Math.max(700, Math.ceil(box.height) + 120) });
      await page.locator('#picture svg').screenshot({ path: join(out, `${PAGES[step]}.png`) });
      await page.setViewportSize({ width: 1200, height: 700 });
      await header(true);
      console.log(`docs/patterns/img/${PAGES[step]}.png`);
    }
    await page.waitForTimeout(200);
  }
  await browser.close();
  return tour.exitCode ?? 1;
});
