/**
 * A MacNet network on a graph of your own, with its events streamed as they happen.
 * Run: npx tsx examples/custom-graph-network.ts   (offline, on the simulated model)
 */
import { graphStats, parseGraph, runNetwork, validateGraph } from 'crosstalk';

// a planner fans out to two specialists whose drafts a merger combines; edges carry critics
const graph = parseGraph(
  `digraph {
    planner [role="cto"];
    frontend; backend;
    merger [role="aggregator"];
    planner -> frontend [critic="reviewer"];
    planner -> backend [critic="reviewer"];
    frontend -> merger;
    backend -> merger;
  }`,
  'dot',
);
const stats = graphStats(validateGraph(graph).dag);
console.log(`graph: ${stats.nodes} nodes, ${stats.edges} edges, depth ${stats.depth}`);

const run = runNetwork({
  task: 'Describe the architecture of a small note-taking web app.',
  graph,
  model: process.env.CROSSTALK_MODEL ?? 'sim',
  concurrency: 4,
});

for await (const event of run) {
  if (event.type === 'step-finished' && event.step.kind === 'node') {
    console.log(`node ${event.step.id} (${event.step.role}) finished in ${event.durationMs} ms`);
  } else if (event.type === 'run-finished') {
    console.log(
      `run ${event.status}: ${event.totals.calls} calls, ${event.totals.inputTokens + event.totals.outputTokens} tokens`,
    );
  }
}

const result = await run.result;
if (result.status !== 'completed') throw new Error(`the network ended ${result.status}`);
console.log(
  `answer (${result.summary.answer?.length ?? 0} characters) merged from ${result.summary.mergedSinks.join(', ')}`,
);
