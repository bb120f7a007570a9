import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GraphSpecError } from '../errors/index.js';
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
  if (parts.length < 2 || parts.some((p) => p === '')) throw new GraphSpecError({ message: `edge '${text}' is not of the form a->b` });
  const edges: EdgeSpec[] = [];
  for (let i = 0; i + 1 < parts.length; i++) edges.push({ from: parts[i]!, to: parts[i + 1]! });
  return edges;
}

/** Normalises a parsed JSON/YAML value into a GraphSpec. Nodes named only in edges are added. */
export function graphFromObject(data: unknown, source = 'graph'): GraphSpec {
  const parsed = looseSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at '${issue.path.join('.')}'` : '';
    throw new GraphSpecError({ message: `${source}: not a graph${where}: ${issue.code === 'unrecognized_keys' ? `unknown key '${issue.keys[0]}'` : issue.message} (expected { nodes, edges } or a list of "a->b")` });
  }
  const value = parsed.data;
  const rawEdges = Array.isArray(value) ? value : value.edges;
  const edges = rawEdges.flatMap((e) => (typeof e === 'string' ? parseArrow(e) : [e]));
  const nodes: NodeSpec[] = (Array.isArray(value) ? [] : (value.nodes ?? [])).map((n) => (typeof n === 'string' ? { id: n } : n));
  const declared = Array.isArray(value) || value.nodes === undefined;
  if (declared) {
    const known = new Set(nodes.map((n) => n.id));
    for (const e of edges) for (const id of [e.from, e.to]) if (!known.has(id)) (known.add(id), nodes.push({ id }));
  }
  return { nodes, edges };
}

// ---------------------------------------------------------------- DOT

type Token = { kind: 'id' | 'punct'; text: string; line: number };

function tokenizeDot(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      i++;
    } else if (/\s/.test(ch)) i++;
    else if (ch === '/' && text[i + 1] === '/') while (i < text.length && text[i] !== '\n') i++;
    else if (ch === '#' && (i === 0 || text[i - 1] === '\n')) while (i < text.length && text[i] !== '\n') i++;
    else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new GraphSpecError({ message: `DOT: unterminated comment starting on line ${line}` });
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (ch === '-' && (text[i + 1] === '>' || text[i + 1] === '-')) {
      if (text[i + 1] === '-') throw new GraphSpecError({ message: `DOT: undirected edge '--' on line ${line}; networks need a digraph with '->'` });
      tokens.push({ kind: 'punct', text: '->', line });
      i += 2;
    } else if ('{}[];=,'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, line });
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new GraphSpecError({ message: `DOT: unterminated string on line ${line}` });
      tokens.push({ kind: 'id', text: value, line });
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_.\-]+/.exec(text.slice(i));
      if (!m) throw new GraphSpecError({ message: `DOT: unexpected character '${ch}' on line ${line}` });
      tokens.push({ kind: 'id', text: m[0], line });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Parses the Graphviz DOT subset networks need: one `digraph`, node statements with attributes, edge chains with attributes, comments. */
export function parseDot(text: string): GraphSpec {
  const t = tokenizeDot(text);
  let p = 0;
  const peek = () => t[p];
  const expect = (value: string) => {
    const tok = t[p];
    if (!tok || tok.text !== value) throw new GraphSpecError({ message: `DOT: expected '${value}'${tok ? ` but found '${tok.text}' on line ${tok.line}` : ' at end of file'}` });
    p++;
  };
  if (peek()?.text === 'strict') p++;
  if (peek()?.text !== 'digraph') throw new GraphSpecError({ message: `DOT: expected 'digraph'${peek() ? ` but found '${peek()!.text}'` : ''}` });
  p++;
  if (peek()?.kind === 'id') p++;
  expect('{');
  const nodes = new Map<string, NodeSpec>();
  const edges: EdgeSpec[] = [];
  const ensure = (id: string) => {
    if (!nodes.has(id)) nodes.set(id, { id });
    return nodes.get(id)!;
  };
  const attributes = (): Record<string, string> => {
    const attrs: Record<string, string> = {};
    while (peek()?.text === '[') {
      p++;
      while (peek() && peek()!.text !== ']') {
        const key = t[p++]!;
        if (key.kind !== 'id') throw new GraphSpecError({ message: `DOT: expected an attribute name on line ${key.line}` });
        expect('=');
        const value = t[p++];
        if (!value || value.kind !== 'id') throw new GraphSpecError({ message: `DOT: expected a value for '${key.text}' on line ${key.line}` });
        attrs[key.text] = value.text;
        if (peek()?.text === ',' || peek()?.text === ';') p++;
      }
      expect(']');
    }
    return attrs;
  };
  while (peek() && peek()!.text !== '}') {
    const tok = t[p++]!;
    if (tok.text === ';') continue;
    if (tok.kind !== 'id') throw new GraphSpecError({ message: `DOT: unexpected '${tok.text}' on line ${tok.line}` });
    if (['graph', 'node', 'edge'].includes(tok.text) && peek()?.text === '[') {
      attributes(); // defaults are accepted and ignored
      continue;
    }
    if (peek()?.text === '=') {
      p += 2; // graph attribute such as rankdir=LR
      continue;
    }
    const chain = [tok.text];
    while (peek()?.text === '->') {
      p++;
      const next = t[p++];
      if (!next || next.kind !== 'id') throw new GraphSpecError({ message: `DOT: expected a node after '->' on line ${tok.line}` });
      chain.push(next.text);
    }
    const attrs = attributes();
    if (chain.length === 1) {
      const node = ensure(chain[0]!);
      if (attrs.role) node.role = attrs.role;
      if (attrs.model) node.model = attrs.model;
      if (attrs.persona) node.persona = attrs.persona;
      if (attrs.temperature !== undefined) {
        const value = Number(attrs.temperature);
        if (!Number.isFinite(value)) throw new GraphSpecError({ message: `DOT: node '${chain[0]}' has a non-numeric temperature '${attrs.temperature}'` });
        node.temperature = value;
      }
    } else {
      for (const id of chain) ensure(id);
      for (let i = 0; i + 1 < chain.length; i++) edges.push({ from: chain[i]!, to: chain[i + 1]!, ...(attrs.critic ? { critic: attrs.critic } : {}) });
    }
  }
  expect('}');
  return { nodes: [...nodes.values()], edges };
}

/**
 * Reads a graph file by extension: `.json`, `.yaml`/`.yml`, `.dot`/`.gv`.
 * @throws GraphSpecError naming the file and the problem.
 */
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
      throw new GraphSpecError({ message: error.message.startsWith(source) ? error.message : `${source}: ${error.message}`, nodes: error.nodes });
    }
    throw new GraphSpecError({ message: `${source}: not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}` });
  }
}

/** Reads a graph file; the format follows the extension (`.dot`/`.gv`, `.json`, else YAML). */
export function readGraphFile(path: string): GraphSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GraphSpecError({ message: `cannot read graph file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
  }
  const ext = extname(path).toLowerCase();
  return parseGraph(text, ext === '.dot' || ext === '.gv' ? 'dot' : ext === '.json' ? 'json' : 'yaml', path);
}

/** A graph as JSON text (the form `parseGraph(text, 'json')` reads back). */
export function graphToJson(spec: GraphSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}
