// `nx affected` is only as true as the graph: every workspace package a project's code or tests import
// (and the nx plugin whose executor runs its targets) is a dependency nx knows of, and no other.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '@rabbit-tutorials/testing';

const run = promisify(execFile);
const nx = (...args: string[]) => run(join(ROOT, 'node_modules/.bin/nx'), args, {
  cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
});

interface Graph { graph: { nodes: Record<string, { data: { root: string } }>; dependencies: Record<string, { target: string }[]> } }

/** Workspace packages named in a project's import, require and --import lines. */
function importedPackages(root: string): Set<string> {
  const files = readdirSync(join(ROOT, root), { recursive: true, encoding: 'utf8' })
    .filter((f) => !f.includes('node_modules') && /\.(ts|mts|cts|js|mjs|cjs)$/.test(f));
  const names = files.flatMap((f) => [...readFileSync(join(ROOT, root, f), 'utf8')
    .matchAll(/(?:from |import\(|require\(|--import )'?(@rabbit-tutorials\/[\w-]+)/g)].map((m) => m[1]!));
  return new Set(names);
}

describe('the nx project graph', () => {
  it('has exactly the workspace dependencies each project imports, and the nx plugin where its executor runs a target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-graph-'));
    try {
      await nx('graph', `--file=${join(dir, 'graph.json')}`);
      const { graph } = JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as Graph;
      const projectOf = new Map(Object.entries(graph.nodes).filter(([, n]) => existsSync(join(ROOT, n.data.root, 'package.json')))
        .map(([name, n]) => [JSON.parse(readFileSync(join(ROOT, n.data.root, 'package.json'), 'utf8')).name as string, name]));
      expect(projectOf.size).toBeGreaterThan(20);
      for (const [name, node] of Object.entries(graph.nodes)) {
        if (!projectOf.has(JSON.parse(readFileSync(join(ROOT, node.data.root, 'package.json'), 'utf8')).name)) continue;
        const pkg = JSON.parse(readFileSync(join(ROOT, node.data.root, 'package.json'), 'utf8'));
        const expected = new Set([...importedPackages(node.data.root)].map((p) => projectOf.get(p)!).filter((p) => p && p !== name));
        if (Object.values(pkg.nx?.targets ?? {}).some((t) => (t as { executor?: string }).executor?.startsWith('@rabbit-tutorials/nx-plugin:'))) {
          expected.add('nx-plugin');
        }
        const actual = new Set((graph.dependencies[name] ?? []).map((d) => d.target).filter((t) => !t.startsWith('npm:')));
        expect([...actual].sort(), name).toEqual([...expected].sort());
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nx affected: a change to libs/testing reaches every project whose tests use it', async () => {
    const { stdout } = await nx('show', 'projects', '--affected', '--files=libs/testing/src/index.ts');
    const affected = stdout.split('\n').filter(Boolean);
    for (const app of readdirSync(join(ROOT, 'apps'))) expect(affected, app).toContain(app);
    expect(affected).toEqual(expect.arrayContaining(['infra', 'demo', 'inspect', 'nx-plugin', 'telemetry']));
  });
});
