import {
  parse,
  type ClusterStatementASTNode,
  type EdgeTargetASTNode,
  type GraphASTNode,
  type NodeASTNode,
  type AttributeASTNode,
  type CommentASTNode,
} from '@ts-graphviz/ast';
import { GraphSpecError } from '../errors/index.js';
import type { EdgeSpec, GraphSpec, NodeSpec } from './types.js';

/** Attribute values in scope: defaults set by `node [...]` / `edge [...]` statements. */
type Attributes = Record<string, string>;

interface Scope {
  node: Attributes;
  edge: Attributes;
}

interface Position {
  offset?: number;
  line: number;
  column: number;
}

/** The parts of a peggy-style syntax error that the DOT parser attaches as `cause`. */
interface SyntaxCause {
  found?: string | null;
  expected?: Array<{ type: string; text?: string }> | null;
  location?: { start: Position };
}

// Enough for the largest graph `validateGraph` accepts (100,000 nodes with attributes and edges);
// the parser's own default (100,000 AST nodes) would refuse a 15,000-node file.
const maxAstNodes = 10_000_000;
const maxInputBytes = 64 * 1024 * 1024;

const at = (position: Position | undefined) => (position ? ` on line ${position.line}, column ${position.column}` : '');
const undirectedEdge = (position: Position | undefined) =>
  `DOT: undirected edge '--'${at(position)}; networks need a digraph with '->'`;

/** Turns a parser error into one line a user can act on, keeping the messages earlier versions gave. */
function syntaxError(text: string, error: unknown): GraphSpecError {
  const cause = ((error as { cause?: unknown }).cause ?? {}) as SyntaxCause;
  const start = cause.location?.start;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('"->" operator')) {
    return new GraphSpecError({ message: undirectedEdge(start), cause: error });
  }
  if (!start) return new GraphSpecError({ message: `DOT: ${message.split('\n')[0]}`, cause: error });
  const offset = start.offset ?? 0;
  const found = /^("[^"\n]*"?|[\w.]+|\S)/.exec(text.slice(offset))?.[0];
  const expected = new Set((cause.expected ?? []).map((e) => e.text ?? e.type));
  let what: string;
  if (text.slice(0, offset).trimEnd().endsWith('->')) what = "expected a node after '->'";
  else if (found === undefined && expected.has('*/')) what = 'unterminated comment';
  else if (found === undefined && expected.has('\\')) what = 'unterminated string';
  else if (found === undefined) what = "unexpected end of file (a '{', '[' or string left open?)";
  else if (expected.has('digraph')) what = `expected 'digraph' but found '${found}'`;
  else what = `unexpected '${found}'`;
  return new GraphSpecError({ message: `DOT: ${what}${at(start)}`, cause: error });
}

const literalAttributes = (children: ReadonlyArray<AttributeASTNode | CommentASTNode>): Attributes => {
  const attrs: Attributes = {};
  for (const child of children) if (child.type === 'Attribute') attrs[child.key.value] = child.value.value;
  return attrs;
};

/**
 * Parses a Graphviz DOT file into a network spec, with a complete DOT grammar
 * (`@ts-graphviz/ast`): `strict` and plain `digraph`, node and edge statements
 * with attribute lists, default `node [...]` / `edge [...]` attributes (scoped
 * to their subgraph, as Graphviz does), subgraphs and clusters, edge chains
 * `a -> b -> c` and groups `a -> { b c }`, quoted and HTML ids, ports, and
 * `//`, `/* *\/` and `#` comments. Node attributes read: `role`, `model`,
 * `persona`, `temperature`; edge attribute read: `critic`; others (labels,
 * shapes, layout) are ignored. In a `strict digraph` repeated edges merge.
 * @throws GraphSpecError with a one-line message naming the line, or refusing
 * an undirected `graph`.
 */
export function parseDot(text: string): GraphSpec {
  let ast: ReturnType<typeof parse>;
  try {
    ast = parse(text, { maxASTNodes: maxAstNodes, maxInputSize: maxInputBytes });
  } catch (error) {
    throw syntaxError(text, error);
  }
  const graphs = ast.children.filter((c): c is GraphASTNode => c.type === 'Graph');
  if (graphs.length !== 1) {
    throw new GraphSpecError({ message: `DOT: expected one digraph in the file, found ${graphs.length}` });
  }
  const graph = graphs[0]!;
  if (!graph.directed) throw undirected(graph);

  const nodes = new Map<string, NodeSpec>();
  const edges: EdgeSpec[] = [];
  const edgeIndex = new Map<string, number>(); // strict digraphs merge repeated edges

  const ensure = (id: string, scope: Scope): NodeSpec => {
    let node = nodes.get(id);
    if (!node) {
      node = { id };
      nodes.set(id, node);
      applyNodeAttributes(node, scope.node); // Graphviz gives a node the defaults in force where it first appears
    }
    return node;
  };

  const addEdge = (from: string, to: string, attrs: Attributes) => {
    const edge: EdgeSpec = { from, to, ...(attrs.critic ? { critic: attrs.critic } : {}) };
    const key = `${from}\u0000${to}`;
    const seen = graph.strict ? edgeIndex.get(key) : undefined;
    if (seen !== undefined) edges[seen] = { ...edges[seen]!, ...edge };
    else {
      edgeIndex.set(key, edges.length);
      edges.push(edge);
    }
  };

  const targetIds = (target: EdgeTargetASTNode): string[] =>
    target.type === 'NodeRef' ? [target.id.value] : target.children.map((ref) => ref.id.value);

  const walk = (statements: ReadonlyArray<ClusterStatementASTNode>, inherited: Scope) => {
    const scope: Scope = { node: { ...inherited.node }, edge: { ...inherited.edge } };
    for (const statement of statements) {
      switch (statement.type) {
        case 'AttributeList':
          if (statement.kind === 'Node') Object.assign(scope.node, literalAttributes(statement.children));
          else if (statement.kind === 'Edge') Object.assign(scope.edge, literalAttributes(statement.children));
          break; // graph [...] attributes are layout only
        case 'Node':
          applyNodeAttributes(ensure(statement.id.value, scope), literalAttributes(statement.children), statement);
          break;
        case 'Edge': {
          const attrs = { ...scope.edge, ...literalAttributes(statement.children) };
          const groups = statement.targets.map(targetIds);
          for (const group of groups) for (const id of group) ensure(id, scope);
          // a chain a -> {b c} -> d links every node of one end to every node of the next
          for (let i = 0; i + 1 < groups.length; i++) {
            for (const from of groups[i]!) for (const to of groups[i + 1]!) addEdge(from, to, attrs);
          }
          break;
        }
        case 'Subgraph':
          walk(statement.children, scope);
          break;
        default:
          break; // comments and graph attributes such as rankdir=LR
      }
    }
  };
  walk(graph.children, { node: {}, edge: {} });
  return { nodes: [...nodes.values()], edges };
}

function undirected(graph: GraphASTNode): GraphSpecError {
  const findEdge = (statements: ReadonlyArray<ClusterStatementASTNode>): ClusterStatementASTNode | undefined => {
    for (const s of statements) {
      if (s.type === 'Edge') return s;
      if (s.type === 'Subgraph') {
        const inner = findEdge(s.children);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  const edge = findEdge(graph.children);
  if (edge) return new GraphSpecError({ message: undirectedEdge(edge.location?.start) });
  const where = at(graph.location?.start);
  return new GraphSpecError({
    message: `DOT: expected 'digraph' but found 'graph'${where}; networks need a directed graph`,
  });
}

function applyNodeAttributes(node: NodeSpec, attrs: Attributes, statement?: NodeASTNode): void {
  if (attrs.role) node.role = attrs.role;
  if (attrs.model) node.model = attrs.model;
  if (attrs.persona) node.persona = attrs.persona;
  if (attrs.temperature !== undefined) {
    const value = Number(attrs.temperature);
    if (attrs.temperature.trim() === '' || !Number.isFinite(value)) {
      const where = at(statement?.location?.start);
      const message = `DOT: node '${node.id}' has a non-numeric temperature '${attrs.temperature}'${where}`;
      throw new GraphSpecError({ message });
    }
    node.temperature = value;
  }
}
