import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { AbortedError, GraphSpecError } from '../errors/index.js';
import { criticalPath, graphStats, graphStatsAsync, toDot, topologicalLayers } from './analysis.js';
import { parseDot, readGraphFile } from './spec-parse.js';
import { generateTopology, topologyNames } from './topologies.js';
import { toDag, type GraphSpec } from './types.js';
import { validateGraph } from './validate.js';

const g = (edges: Array<[string, string]>, extra: string[] = []): GraphSpec => {
  const ids = new Set(extra);
  for (const [a, b] of edges) ids.add(a).add(b);
  return { nodes: [...ids].map((id) => ({ id })), edges: edges.map(([from, to]) => ({ from, to })) };
};

describe('topology generators', () => {
  it('always produce a valid DAG with exactly n nodes, deterministically for a seed (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...topologyNames),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (name, n, seed) => {
          if (name === 'mesh' && n > 120) n = 120;
          const a = generateTopology(name, { n, seed });
          const b = generateTopology(name, { n, seed });
          expect(a.nodes).toHaveLength(n);
          expect(b).toEqual(a);
          const { warnings } = validateGraph(a);
          // generated graphs are connected: no node works alone
          expect(warnings).toEqual([]);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('differ between seeds for the random kinds', () => {
    for (const name of ['random', 'small-world', 'scale-free'] as const) {
      expect(generateTopology(name, { n: 60, seed: 1 }).edges).not.toEqual(
        generateTopology(name, { n: 60, seed: 2 }).edges,
      );
    }
  });

  it('have the documented shapes', () => {
    expect(generateTopology('chain', { n: 4 }).edges.map((e) => `${e.from}>${e.to}`)).toEqual([
      'n0>n1',
      'n1>n2',
      'n2>n3',
    ]);
    expect(generateTopology('star', { n: 4 }).edges.every((e) => e.from === 'n0')).toBe(true);
    expect(generateTopology('star', { n: 4, orientation: 'convergent' }).edges.every((e) => e.to === 'n0')).toBe(true);
    expect(
      generateTopology('tree', { n: 7 })
        .edges.filter((e) => e.from === 'n1')
        .map((e) => e.to),
    ).toEqual(['n3', 'n4']);
    expect(generateTopology('mesh', { n: 5 }).edges).toHaveLength(10);
    const layer = generateTopology('layer', { n: 8 }); // ⌊log2 8⌋ = 3 layers of width 3,3,2
    expect(topologicalLayers(toDag(layer)).map((l) => l.length)).toEqual([3, 3, 2]);
    expect(layer.edges).toHaveLength(9 + 6);
    const sf = toDag(generateTopology('scale-free', { n: 400, seed: 3 }));
    const maxDegree = Math.max(...sf.succ.map((s, i) => s.length + sf.pred[i]!.length));
    expect(maxDegree).toBeGreaterThan(20); // hubs emerge under preferential attachment
  });

  it('draw random graphs at the paper density by default and keep the sparse variant as an option', () => {
    // paper: a mesh with edges removed, the edge count uniform over n−1 … n(n−1)/2 (mean (n−1 + 45) / 2 = 27 for n = 10)
    const counts = Array.from({ length: 400 }, (_, seed) => generateTopology('random', { n: 10, seed }).edges.length);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...counts)).toBe(45);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThan(24);
    expect(mean).toBeLessThan(30);
    // sparse: about two successors per node, and `p` picks the sparse graph by itself
    const sparse = generateTopology('random', { n: 1000, seed: 1, density: 'sparse' }).edges.length;
    expect(sparse).toBeGreaterThan(900);
    expect(sparse).toBeLessThan(1300);
    expect(generateTopology('random', { n: 1000, seed: 1, p: 0.002 }).edges).toEqual(
      generateTopology('random', { n: 1000, seed: 1, density: 'sparse', p: 0.002 }).edges,
    );
    expect(() => generateTopology('random', { n: 10, density: 'paper', p: 0.3 })).toThrow(
      /parameter 'p' applies to density 'sparse' only/,
    );
    expect(() => generateTopology('random', { n: 10_000, seed: 1 })).toThrow(/or use --density sparse\)$/);
  });

  it('generate a 10,000-node small-world network quickly enough to use', () => {
    const spec = generateTopology('small-world', { n: 10_000, seed: 1 });
    expect(spec.nodes).toHaveLength(10_000);
    expect(validateGraph(spec).dag.edgeCount).toBeGreaterThan(19_000);
  });

  it('reject bad parameters with a GraphSpecError', () => {
    expect(() => generateTopology('chain', { n: 0 })).toThrow(GraphSpecError);
    expect(() => generateTopology('random', { n: 5, p: 2 })).toThrow(/parameter 'p'/);
  });
});

describe('validateGraph', () => {
  const cases: Array<[string, GraphSpec, RegExp]> = [
    [
      'a cycle, with its path',
      g([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['x', 'a'],
      ]),
      /graph has a cycle: a -> b -> c -> a/,
    ],
    ['a self-loop', g([['a', 'a']]), /self-loop on node 'a'/],
    [
      'an unknown node',
      { nodes: [{ id: 'a' }], edges: [{ from: 'a', to: 'ghost' }] },
      /refers to unknown node 'ghost'/,
    ],
    ['a duplicate id', { nodes: [{ id: 'a' }, { id: 'a' }], edges: [] }, /duplicate node id 'a'/],
    [
      'a duplicate edge',
      {
        nodes: [{ id: 'a' }, { id: 'b' }],
        edges: [
          { from: 'a', to: 'b' },
          { from: 'a', to: 'b' },
        ],
      },
      /duplicate edge a -> b/,
    ],
    ['no nodes', { nodes: [], edges: [] }, /graph has no nodes/],
  ];
  it.each(cases)('rejects %s in one line', (_label, spec, message) => {
    expect(() => validateGraph(spec)).toThrow(message);
    try {
      validateGraph(spec);
    } catch (e) {
      expect(GraphSpecError.isInstance(e)).toBe(true);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('rejects graphs above the node limit and warns about isolated nodes', () => {
    expect(() => validateGraph(generateTopology('chain', { n: 11 }), { maxNodes: 10 })).toThrow(
      /11 nodes, above the maximum of 10/,
    );
    expect(validateGraph(g([['a', 'b']], ['lonely'])).warnings[0]).toMatch(/lonely/);
  });

  it('finds a cycle in a long chain without overflowing the stack', () => {
    const spec = generateTopology('chain', { n: 50_000 });
    spec.edges.push({ from: 'n49999', to: 'n0' });
    expect(() => validateGraph(spec)).toThrow(/cycle: n0 -> n1 -> .* -> n49999 -> n0/);
  });
});

describe('graph files', () => {
  const dir = tempDir('crosstalk-graph-');
  it('reads JSON, YAML (including "a->b" lists) and DOT', () => {
    writeFileSync(
      join(dir, 'g.json'),
      JSON.stringify({
        nodes: [{ id: 'a', role: 'programmer' }, 'b'],
        edges: [{ from: 'a', to: 'b', critic: 'reviewer' }],
      }),
    );
    writeFileSync(join(dir, 'g.yaml'), '- a->b\n- b->c\n- a->c\n');
    writeFileSync(
      join(dir, 'g.dot'),
      '// a network\ndigraph team {\n  rankdir=LR;\n  a [role="cto", temperature=0.3];\n  "node b" -> c -> d [critic="reviewer"];\n  a -> "node b";\n}\n',
    );
    expect(readGraphFile(join(dir, 'g.json'))).toEqual({
      nodes: [{ id: 'a', role: 'programmer' }, { id: 'b' }],
      edges: [{ from: 'a', to: 'b', critic: 'reviewer' }],
    });
    expect(readGraphFile(join(dir, 'g.yaml')).edges).toHaveLength(3);
    const dot = readGraphFile(join(dir, 'g.dot'));
    expect(dot.nodes.find((n) => n.id === 'a')).toEqual({ id: 'a', role: 'cto', temperature: 0.3 });
    expect(dot.edges).toEqual([
      { from: 'node b', to: 'c', critic: 'reviewer' },
      { from: 'c', to: 'd', critic: 'reviewer' },
      { from: 'a', to: 'node b' },
    ]);
  });

  it('round-trips through DOT', () => {
    const spec = generateTopology('random', { n: 20, seed: 4 });
    spec.nodes[0]!.role = 'critic';
    expect(parseDot(toDot(spec))).toEqual(spec);
  });

  it.each([
    ['bad.json', '{"nodes": [', /not valid JSON/],
    ['bad2.json', '{"nodes": [], "edges": [], "colour": 1}', /unknown key 'colour'/],
    ['bad.yaml', '- a-b\n', /edge 'a-b' is not of the form a->b/],
    ['bad.dot', 'graph x { a -- b }', /undirected edge '--'/],
    ['bad3.dot', 'graph x { a; }', /expected 'digraph'/],
    ['bad2.dot', 'digraph { a -> }', /expected a node after '->'/],
  ])('reports a malformed %s in one line', (name, text, message) => {
    writeFileSync(join(dir, name), text);
    expect(() => readGraphFile(join(dir, name))).toThrow(message);
  });
});

describe('analysis', () => {
  it('computes depth, widths, critical path and degrees', () => {
    const dag = toDag(
      g([
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
        ['d', 'e'],
      ]),
    );
    const stats = graphStats(dag);
    expect(stats).toMatchObject({
      nodes: 5,
      edges: 5,
      agents: 10,
      depth: 4,
      widthPerLayer: [1, 2, 1, 1],
      sources: 1,
      sinks: 1,
      criticalPathLength: 4,
    });
    expect(criticalPath(dag).path).toEqual(['a', 'b', 'd', 'e']);
    expect(stats.inDegree).toEqual({ 0: 1, 1: 3, 2: 1 });
  });

  it('shows small-world structure: high clustering, short paths relative to a random graph', () => {
    const sw = toDag(generateTopology('small-world', { n: 500, seed: 1, k: 6, beta: 0.1 }));
    const rnd = toDag(generateTopology('random', { n: 500, seed: 1, p: (3 * 500) / ((500 * 499) / 2) }));
    const stats = graphStats(sw, { reference: rnd });
    expect(stats.averageClustering).toBeGreaterThan(0.3);
    expect(stats.smallWorld!.sigma).toBeGreaterThan(3);
  });
});

describe('bounded graph work', () => {
  it('refuses a topology whose edge count is over maxEdges before building it', () => {
    expect(() => generateTopology('mesh', { n: 100_000 })).toThrow(
      /a mesh of 100,000 nodes has about 4,999,950,000 edges, above the maximum of 4,000,000/,
    );
    expect(() => generateTopology('mesh', { n: 10 }, { maxEdges: 44 })).toThrow(GraphSpecError);
    expect(generateTopology('mesh', { n: 10 }, { maxEdges: 45 }).edges).toHaveLength(45);
  });

  it('refuses node ids too long for a file name, before any work', () => {
    const id = 'x'.repeat(201);
    expect(() => validateGraph({ nodes: [{ id }], edges: [] })).toThrow(
      /node id 'x{40}…' has 201 characters, above the maximum of 200/,
    );
  });

  it('stops the statistics when the signal aborts, and samples large graphs', async () => {
    const dag = toDag(generateTopology('small-world', { n: 20_000, seed: 1 }));
    const controller = new AbortController();
    controller.abort();
    await expect(graphStatsAsync(dag, { signal: controller.signal })).rejects.toThrow(AbortedError);
    const stats = await graphStatsAsync(dag, { seed: 1 });
    expect(stats.averageClustering).toBeGreaterThan(0.2);
    expect(stats.averagePathLength).toBeGreaterThan(1);
  });
});
