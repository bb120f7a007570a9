/**
 * `npm run bench`: every benchmark, each printed as a table with its target.
 * All figures come from the simulated model (in process, or behind the fake
 * OpenAI-compatible server): they measure crosstalk itself (scheduling,
 * middleware, storage), never answer quality.
 * `npm run bench -- <name>` runs only benchmarks whose name contains <name>.
 */
import { benchGuard } from './guard.js';
import { benchMiddlewareOverhead } from './middleware-overhead.js';
import { benchStoreOverhead } from './store-overhead.js';
import { benchTeams } from './teams.js';
import { benchEval } from './eval.js';
import { benchMakespan, benchMemoryControl, benchScale } from './network.js';
import { benchViewer } from './viewer.js';
import { benchPeers } from './peers.js';
import { benchQueue } from './queue.js';

const benches: Array<[string, () => Promise<void>]> = [
  ['middleware-overhead', benchMiddlewareOverhead],
  ['network-scale', benchScale],
  ['network-memory-control', benchMemoryControl],
  ['store-overhead', benchStoreOverhead],
  ['teams-concurrency', benchTeams],
  ['network-makespan', benchMakespan],
  ['viewer', benchViewer],
  ['eval-humaneval', benchEval],
  // LangGraph.js beside crosstalk, over HTTP to the fake server (devDependencies, nothing installed at run time)
  ['peers', benchPeers],
  ['guard-false-positives', benchGuard],
  // BullMQ workers on a redis-server of its own (skipped when redis-server is not installed)
  ['queue', benchQueue],
];

const filter = process.argv[2];
process.stdout.write(
  `crosstalk benchmarks — node ${process.version}, simulated model (figures measure the system, not answer quality)\n`,
);
for (const [name, bench] of benches) {
  if (filter && !name.includes(filter)) continue;
  await bench();
}
