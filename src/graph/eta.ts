import { remainingPathLength, topologicalOrder } from './analysis.js';
import type { Dag } from './types.js';

/**
 * Time left for a DAG whose finished nodes are known: the larger of the
 * remaining critical path (longest chain of unfinished nodes) and the
 * remaining work spread over `concurrency` slots, both in units of node
 * weight (e.g. sequential model calls) times the observed time per unit.
 * @param weights per node, in the same unit as `msPerUnit` divides.
 * @returns milliseconds; 0 when everything is done.
 */
export function remainingTimeMs(
  dag: Dag,
  options: {
    weights: ArrayLike<number>;
    finished: (node: number) => boolean;
    msPerUnit: number;
    concurrency: number;
    order?: number[];
  },
): number {
  const { weights, finished } = options;
  const weight = (node: number) => (finished(node) ? 0 : weights[node]!);
  const lengths = remainingPathLength(dag, weight, options.order ?? topologicalOrder(dag));
  let path = 0;
  let work = 0;
  for (let i = 0; i < dag.ids.length; i++) {
    path = Math.max(path, lengths[i]!);
    work += weight(i);
  }
  return Math.max(path, work / Math.max(1, options.concurrency)) * options.msPerUnit;
}
