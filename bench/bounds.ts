import type { Dag } from '../src/graph/index.js';

/** Lower bounds on the makespan of a DAG whose node `v` takes `duration(v)` ms, with at most `cap` nodes at once. */
export interface MakespanBounds {
  /** Longest path through the DAG, ms. */
  critical: number;
  /** Sum of all node durations, ms. */
  work: number;
  /** max(critical path, work ÷ cap). */
  simple: number;
  /**
   * The time-indexed bound: max over τ of τ + (work of nodes that cannot start before τ) ÷ cap, and the critical
   * path. Never below `simple`; tighter where the start of a graph cannot fill the slots.
   */
  timed: number;
}

/** Computes {@link MakespanBounds} from measured node durations. O((V + E) log V). */
export function makespanBounds(dag: Dag, duration: (node: number) => number, cap: number): MakespanBounds {
  const n = dag.ids.length;
  const order: number[] = [];
  const indegree = dag.pred.map((p) => p.length);
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
  for (let h = 0; h < order.length; h++) for (const w of dag.succ[order[h]!]!) if (--indegree[w]! === 0) order.push(w);
  // earliest[v]: when v could start at the soonest (all its ancestors run with unlimited slots)
  const earliest = new Float64Array(n);
  let critical = 0;
  let work = 0;
  for (const v of order) {
    const d = duration(v);
    work += d;
    critical = Math.max(critical, earliest[v]! + d);
    for (const w of dag.succ[v]!) earliest[w] = Math.max(earliest[w]!, earliest[v]! + d);
  }
  const simple = Math.max(critical, work / cap);
  const byStart = order.map((v) => [earliest[v]!, duration(v)] as const).sort((a, b) => b[0] - a[0]);
  let suffix = 0;
  let timed = simple;
  for (const [start, d] of byStart) {
    suffix += d;
    timed = Math.max(timed, start + suffix / cap);
  }
  return { critical, work, simple, timed };
}
