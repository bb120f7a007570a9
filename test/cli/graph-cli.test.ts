import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

interface GraphDoc {
  ok: boolean;
  stats: { nodes: number; edges: number };
  graph: {
    nodes: Array<{ id: string; role?: string; model?: string }>;
    edges: Array<{ from: string; to: string; critic?: string }>;
  };
}

describe('crosstalk graph', () => {
  it('--json prints the nodes and edges of a DOT file written without spaces; they read back as a file', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'team.dot'),
      [
        'strict digraph team {',
        '  node [model="sim"]; // all on the simulated model',
        '  cto [role="cto"];',
        '  subgraph cluster_dev { node [role=programmer]; "dev 1"; "dev 2" }',
        '  cto->"dev 1"->qa [critic="reviewer"]',
        '  cto->"dev 2"->qa',
        '}',
      ].join('\n'),
    );
    const first = await runInProcess(['graph', 'team.dot', '--json'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout) as GraphDoc;
    expect(doc.stats).toMatchObject({ nodes: 4, edges: 4 });
    expect(doc.graph.nodes).toEqual([
      { id: 'cto', model: 'sim', role: 'cto' },
      { id: 'dev 1', model: 'sim', role: 'programmer' },
      { id: 'dev 2', model: 'sim', role: 'programmer' },
      { id: 'qa', model: 'sim' },
    ]);
    expect(doc.graph.edges).toEqual([
      { from: 'cto', to: 'dev 1', critic: 'reviewer' },
      { from: 'dev 1', to: 'qa', critic: 'reviewer' },
      { from: 'cto', to: 'dev 2' },
      { from: 'dev 2', to: 'qa' },
    ]);
    writeFileSync(join(cwd, 'team.json'), JSON.stringify(doc.graph));
    const again = JSON.parse((await runInProcess(['graph', 'team.json', '--json'], { cwd })).stdout) as GraphDoc;
    expect(again.graph).toEqual(doc.graph);
  });

  it('--json prints a generated topology', async () => {
    const result = await runInProcess(['graph', 'chain', '--n', '3', '--json'], { cwd: tempDir() });
    expect((JSON.parse(result.stdout) as GraphDoc).graph).toEqual({
      nodes: [{ id: 'n0' }, { id: 'n1' }, { id: 'n2' }],
      edges: [
        { from: 'n0', to: 'n1' },
        { from: 'n1', to: 'n2' },
      ],
    });
  });

  it('refuses an undirected graph with one line and exit code 2', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'undirected.gv'), 'graph g {\n  a -- b\n}\n');
    const result = await runInProcess(['graph', 'undirected.gv'], { cwd });
    expect(result.code).toBe(2);
    const message = "DOT: undirected edge '--' on line 2, column 3; networks need a digraph with '->'";
    expect(result.stderr.trim()).toBe(`crosstalk: ${join(cwd, 'undirected.gv')}: ${message}`);
  });
});
