// The docs keep up with the code: every variable documented, every pattern with its pages, no dead links.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '@rabbit-tutorials/testing';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const patterns = readdirSync(join(ROOT, 'apps'));
/** Every RABBITMQ_* variable libs/connection reads. */
const variables = [...new Set(readdirSync(join(ROOT, 'libs/connection/src'))
  .flatMap((f) => [...read(`libs/connection/src/${f}`).matchAll(/\bRABBITMQ_[A-Z_]+[A-Z]\b/g)].map((m) => m[0])))];

describe('docs', () => {
  it.each(['README.md', 'docs/configuration.md', '.env.example'])('%s names every configuration variable', (file) => {
    const text = read(file);
    expect(variables.length).toBeGreaterThan(15);
    for (const name of variables) expect(text, name).toContain(name);
  });

  it.each(patterns)('%s has a README and a docs page, each with a diagram and its nx commands', (app) => {
    for (const file of [`apps/${app}/README.md`, app === 'troubleshoot' ? 'docs/troubleshooting.md' : `docs/patterns/${app}.md`]) {
      const text = read(file);
      expect(text, file).toMatch(/```mermaid\n/);
      expect(text, file).toContain(`npx nx run ${app}:`);
    }
    expect(read('README.md')).toContain(`apps/${app}/README.md`);
  });

  it('writes every nx command a user copies as npx nx (npm ci puts nx in node_modules/.bin, not on PATH)', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
      ...patterns.map((p) => `apps/${p}/README.md`)];
    const code = [...['apps', 'tools', 'libs'].flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.includes('/src/') && /\.(ts|mjs|cjs)$/.test(f)).map((f) => `${dir}/${f}`))];
    for (const file of [...docs, ...code]) {
      const bare = read(file).split('\n').filter((line) => /(?<![\w/-])(?<!npx )nx (run|affected|graph|show|run-many) /.test(line));
      expect(bare, file).toEqual([]);
    }
  });

  it('has no dead relative links, anchors included', () => {
    const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
      ...patterns.filter((p) => p !== 'troubleshoot').map((p) => `docs/patterns/${p}.md`), ...patterns.map((p) => `apps/${p}/README.md`)];
    for (const file of files) {
      for (const [, target, anchor] of read(file).matchAll(/\]\(([^)#]*?)(?:#([^)]*))?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const linked = target ? join(dirname(file), target) : file;
        expect(existsSync(join(ROOT, linked)), `${file} → ${target}`).toBe(true);
        if (anchor && linked.endsWith('.md')) expect(anchors(linked), `${file} → ${target}#${anchor}`).toContain(anchor);
      }
    }
  });
});

/** The anchors GitHub makes for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchors(file: string): string[] {
  const seen = new Map<string, number>();
  let fenced = false;
  const found: string[] = [];
  for (const line of read(file).split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line)?.[1];
    if (!heading) continue;
    const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    found.push(n ? `${slug}-${n}` : slug);
  }
  return found;
}
