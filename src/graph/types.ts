import { z } from 'zod';

/** A node of a network: an agent slot with optional role, model and settings. */
export const nodeSpecSchema = z
  .object({
    id: z.string().min(1),
    role: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    persona: z.string().optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** A directed edge; `critic` names the role reviewing the source's artifact for the target. */
export const edgeSpecSchema = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    critic: z.string().min(1).optional(),
  })
  .strict();

/** A graph as users write it (JSON, YAML, DOT) and as generators produce it. */
export const graphSpecSchema = z.object({ nodes: z.array(nodeSpecSchema), edges: z.array(edgeSpecSchema) }).strict();

export type NodeSpec = z.infer<typeof nodeSpecSchema>;
export type EdgeSpec = z.infer<typeof edgeSpecSchema>;
export type GraphSpec = z.infer<typeof graphSpecSchema>;

/**
 * Indexed form for fast algorithms on large graphs: nodes are 0..n-1 in spec
 * order, adjacency as arrays of indices.
 */
export interface Dag {
  ids: string[];
  index: Map<string, number>;
  succ: number[][];
  pred: number[][];
  edgeCount: number;
}

/** Builds the indexed form. Assumes ids are unique and edges reference known nodes (see `validateGraph`). */
export function toDag(spec: GraphSpec): Dag {
  const ids = spec.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const succ: number[][] = ids.map(() => []);
  const pred: number[][] = ids.map(() => []);
  for (const e of spec.edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a === undefined || b === undefined) continue;
    succ[a]!.push(b);
    pred[b]!.push(a);
  }
  return { ids, index, succ, pred, edgeCount: spec.edges.length };
}
