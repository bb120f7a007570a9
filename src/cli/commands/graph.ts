import { loadConfig } from '../../config/index.js';
import {
  generateTopology,
  graphStatsAsync,
  statsSampling,
  structureStats,
  toDag,
  toDot,
  type GraphStats,
} from '../../graph/index.js';
import { addTopologyOptions, resolveGraph } from '../graph-options.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { defineCommand } from '../define-command.js';

/**
 * `crosstalk graph <topology|file>`: build or read a network graph and describe it. With `--json` the
 * document holds `stats`, `warnings` and `graph: { nodes, edges }` (the graph as a JSON graph file).
 */
export const registerGraph: Register = (program, ctx, run) => {
  const command = defineCommand(program, {
    name: 'graph',
    description: 'generate a topology or read a graph file, validate it and print its structure',
    argument: [
      '<topology|file>',
      'chain, star, tree, mesh, layer, random, small-world, scale-free, or a .json/.yaml/.dot file',
    ],
    options: [
      ['--stats', 'also compute clustering, path length and small-world ratios (sampled on large graphs)'],
      ['--dot', 'print the graph as Graphviz DOT'],
    ],
  });
  addTopologyOptions(command, '--n').action(
    run(async ([arg], options, out) => {
      const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
      const seed = loaded.config.seed ?? 0;
      const graph = resolveGraph(String(arg), options, ctx.cwd, 'n', seed);
      for (const w of graph.warnings) out.note(`crosstalk: warning: ${w}`);
      let full: GraphStats | undefined;
      if (options.stats) {
        // an equal-size random graph with the same edge count, for the small-world ratios
        const n = graph.spec.nodes.length;
        const pairs = (n * (n - 1)) / 2;
        const reference =
          n > 2
            ? toDag(
                generateTopology(
                  'random',
                  { n, seed: seed + 1, p: Math.min(1, graph.spec.edges.length / pairs) },
                  { maxEdges: Number.POSITIVE_INFINITY },
                ),
              )
            : undefined;
        // a readiness line: from here on Ctrl-C or SIGTERM stops the (sampled) computation at once
        out.note(`computing clustering and path statistics${n > statsSampling.clusteringNodes ? ' (sampled)' : ''} …`);
        full = await graphStatsAsync(graph.dag, { seed, signal: ctx.signal, ...(reference ? { reference } : {}) });
      }
      const structure = full ?? structureStats(graph.dag);
      const dot = options.dot ? toDot(graph.spec) : undefined;
      // the graph itself, in the { nodes, edges } form graph files use, so `--json | jq .graph` reads back as a file
      const spec = { nodes: graph.spec.nodes, edges: graph.spec.edges };
      out.result({
        ok: true,
        stats: full ?? structure,
        graph: spec,
        warnings: graph.warnings,
        ...(dot ? { dot } : {}),
      });
      if (dot) return out.line(dot);
      out.line(
        `nodes ${structure.nodes}, edges ${structure.edges}, agents ${structure.agents} (actors on nodes + critics on edges)`,
      );
      out.line(
        `depth ${structure.depth}, critical path ${structure.criticalPathLength} nodes, sources ${structure.sources}, sinks ${structure.sinks}`,
      );
      const widths = structure.widthPerLayer;
      out.line(
        `width per layer: ${widths.length > 20 ? `${widths.slice(0, 20).join(' ')} … (${widths.length} layers, max ${Math.max(...widths)})` : widths.join(' ')}`,
      );
      const hist = (h: Record<number, number>) =>
        Object.entries(h)
          .map(([d, c]) => `${d}:${c}`)
          .join(' ');
      out.line(`in-degree (degree:count) ${hist(structure.inDegree)}`);
      out.line(`out-degree (degree:count) ${hist(structure.outDegree)}`);
      if (full) {
        out.line(
          `average clustering ${full.averageClustering.toFixed(4)}, average path length ${full.averagePathLength.toFixed(3)} (undirected)`,
        );
        if (full.smallWorld)
          out.line(
            `small-world: C/C_random ${full.smallWorld.clusteringRatio.toFixed(2)}, L/L_random ${full.smallWorld.pathRatio.toFixed(2)}, sigma ${full.smallWorld.sigma.toFixed(2)} (sigma > 1 suggests small-world)`,
          );
      }
    }),
  );
};
