import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GraphSpecError } from '../errors/index.js';
import { parseDot } from './dot-parse.js';
import { edgeSpecSchema, nodeSpecSchema, type EdgeSpec, type GraphSpec, type NodeSpec } from './types.js';

/**
 * Accepted object forms: `{ nodes: [...], edges: [...] }` where nodes may be
 * plain ids and edges may be `"a->b"` strings or `{ from, to, critic? }`; or
 * just a list of `"a->b"` strings (nodes inferred), as the MacNet reference
 * code writes graphs.
 */
const looseSchema = z.union([
  z.array(z.string()),
  z
    .object({
      nodes: z.array(z.union([z.string().min(1), nodeSpecSchema])).optional(),
      edges: z.array(z.union([z.string(), edgeSpecSchema])).default([]),
    })
    .strict(),
]);

function parseArrow(text: string): EdgeSpec[] {
  const parts = text.split(/\s*->\s*/).map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => p === ''))
    throw new GraphSpecError({ message: `edge '${text}' is not of the form a->b` });
  const edges: EdgeSpec[] = [];
  for (let i = 0; i + 1 < parts.length; i++) edges.push({ from: parts[i]!, to: parts[i + 1]! });
  return edges;
}

export { parseDot };

/** Normalises a parsed JSON/YAML value into a GraphSpec. Nodes named only in edges are added. */
export function graphFromObject(data: unknown, source = 'graph'): GraphSpec {
  const parsed = looseSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at '${issue.path.join('.')}'` : '';
    throw new GraphSpecError({
      message: `${source}: not a graph${where}: ${issue.code === 'unrecognized_keys' ? `unknown key '${issue.keys[0]}'` : issue.message} (expected { nodes, edges } or a list of "a->b")`,
    });
  }
  const value = parsed.data;
  const rawEdges = Array.isArray(value) ? value : value.edges;
  const edges = rawEdges.flatMap((e) => (typeof e === 'string' ? parseArrow(e) : [e]));
  const nodes: NodeSpec[] = (Array.isArray(value) ? [] : (value.nodes ?? [])).map((n) =>
    typeof n === 'string' ? { id: n } : n,
  );
  const declared = Array.isArray(value) || value.nodes === undefined;
  if (declared) {
    const known = new Set(nodes.map((n) => n.id));
    for (const e of edges) for (const id of [e.from, e.to]) if (!known.has(id)) known.add(id), nodes.push({ id });
  }
  return { nodes, edges };
}

/** Text formats a graph can be written in. */
export type GraphFormat = 'json' | 'yaml' | 'dot';

/**
 * Parses a graph from text: JSON or YAML (`{nodes, edges}` or a list of
 * `"a->b"` strings) or Graphviz DOT. The result is not yet validated (see
 * `validateGraph` for cycles and limits).
 * @param source named in error messages (a file name, say).
 * @throws GraphSpecError with a one-line message.
 */
export function parseGraph(text: string, format: GraphFormat, source = 'graph'): GraphSpec {
  try {
    if (format === 'dot') return parseDot(text);
    const data: unknown = format === 'json' ? JSON.parse(text) : parseYaml(text);
    return graphFromObject(data, source);
  } catch (error) {
    if (GraphSpecError.isInstance(error)) {
      throw new GraphSpecError({
        message: error.message.startsWith(source) ? error.message : `${source}: ${error.message}`,
        nodes: error.nodes,
      });
    }
    throw new GraphSpecError({
      message: `${source}: not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    });
  }
}

/**
 * Reads a graph file; the format follows the extension (`.dot`/`.gv`, `.json`, else YAML).
 * @throws GraphSpecError naming the file and the problem.
 */
export function readGraphFile(path: string): GraphSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GraphSpecError({
      message: `cannot read graph file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
  }
  const ext = extname(path).toLowerCase();
  return parseGraph(text, ext === '.dot' || ext === '.gv' ? 'dot' : ext === '.json' ? 'json' : 'yaml', path);
}

/** A graph as JSON text (the form `parseGraph(text, 'json')` reads back). */
export function graphToJson(spec: GraphSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}
