import { parse, type Node } from 'acorn';
import type { ArgFact, Fact, FileFacts } from './facts.js';

type AnyNode = Node & Record<string, unknown>;

const skipKeys = new Set(['type', 'start', 'end', 'loc', 'range', 'raw']);

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (skipKeys.has(key)) continue;
    if (Array.isArray(value)) for (const v of value) isNode(v) && out.push(v);
    else if (isNode(value)) out.push(value);
  }
  return out;
}

function moduleName(text: string): string {
  return text.replace(/^node:/, '');
}

/** A string literal's value, or a template literal's without expressions. */
function literalString(node: AnyNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0)
    return (node.quasis as Array<{ value: { cooked: string | null } }>).map((q) => q.value.cooked ?? '').join('');
  return undefined;
}

function parseProgram(source: string): AnyNode {
  const common = {
    ecmaVersion: 'latest' as const,
    locations: true,
    allowHashBang: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
  };
  try {
    return parse(source, { ...common, sourceType: 'module' }) as unknown as AnyNode;
  } catch {
    // CommonJS with `with`, octal literals or other sloppy-mode syntax
    return parse(source, { ...common, sourceType: 'script' }) as unknown as AnyNode;
  }
}

/**
 * Parses JavaScript with acorn (ES modules, then scripts) and collects the
 * facts the rules judge: calls with `require`/`import` names resolved,
 * `process.env` reads, string literals.
 */
export function jsFacts(source: string): FileFacts {
  let program: AnyNode;
  try {
    program = parseProgram(source);
  } catch (error) {
    const loc = (error as { loc?: { line: number } }).loc;
    return { ok: false, error: `SyntaxError: ${(error as Error).message}`, line: loc?.line ?? 0 };
  }
  const aliases = new Map<string, string>();
  const facts: Fact[] = [];
  const srcOf = (node: AnyNode) => source.slice(node.start, Math.min(node.end, node.start + 300));
  const lineOf = (node: AnyNode) => (node.loc as { start: { line: number } } | undefined)?.start.line ?? 0;

  const requireOf = (node: AnyNode | undefined): string | undefined => {
    if (!node) return undefined;
    if (node.type === 'AwaitExpression') return requireOf(node.argument as AnyNode);
    if (node.type === 'ImportExpression') return literalString(node.source as AnyNode);
    if (node.type === 'CallExpression') {
      const callee = node.callee as AnyNode;
      if (callee.type === 'Identifier' && callee.name === 'require') {
        const m = literalString((node.arguments as AnyNode[])[0]);
        return m === undefined ? undefined : moduleName(m);
      }
    }
    return undefined;
  };

  const dotted = (node: AnyNode | undefined): string | undefined => {
    if (!node) return undefined;
    switch (node.type) {
      case 'Identifier':
        return aliases.get(node.name as string) ?? (node.name as string);
      case 'ThisExpression':
        return 'this';
      case 'MemberExpression': {
        const base = dotted(node.object as AnyNode) ?? '?';
        const property = node.property as AnyNode;
        const name = node.computed ? literalString(property) : (property.name as string | undefined);
        return name === undefined ? `${base}.?` : `${base}.${name}`;
      }
      case 'ChainExpression':
        return dotted(node.expression as AnyNode);
      case 'CallExpression': {
        const required = requireOf(node);
        if (required !== undefined) return required;
        const base = dotted(node.callee as AnyNode);
        return base === undefined ? undefined : `${base}()`;
      }
      case 'NewExpression': {
        const base = dotted(node.callee as AnyNode);
        return base === undefined ? undefined : `${base}()`;
      }
      case 'AwaitExpression':
        return dotted(node.argument as AnyNode);
      default:
        return undefined;
    }
  };

  const arg = (node: AnyNode): ArgFact => {
    const text = literalString(node);
    if (text !== undefined) return { value: text };
    if (node.type === 'Literal' && (typeof node.value === 'number' || typeof node.value === 'boolean'))
      return { value: node.value as number | boolean };
    if (node.type === 'ArrayExpression') {
      const parts = (node.elements as Array<AnyNode | null>).map((e) => (e ? literalString(e) : undefined));
      if (parts.length > 0 && parts.every((p) => p !== undefined)) return { value: parts.join(' ') };
    }
    return { src: srcOf(node) };
  };

  // bindings first, so a name used above its declaration still resolves
  const bind = (id: AnyNode, module: string) => {
    if (id.type === 'Identifier') aliases.set(id.name as string, module);
    else if (id.type === 'ObjectPattern')
      for (const p of id.properties as AnyNode[]) {
        if (p.type !== 'Property') continue;
        const key = (p.key as AnyNode).name ?? literalString(p.key as AnyNode);
        const value = p.value as AnyNode;
        if (typeof key === 'string' && value.type === 'Identifier')
          aliases.set(value.name as string, `${module}.${key}`);
      }
  };
  const collectBindings = (node: AnyNode) => {
    if (node.type === 'ImportDeclaration') {
      const module = moduleName(String((node.source as AnyNode).value));
      facts.push({ kind: 'import', line: lineOf(node), module });
      for (const s of node.specifiers as AnyNode[]) {
        const local = (s.local as AnyNode).name as string;
        if (s.type === 'ImportSpecifier') {
          const imported = s.imported as AnyNode;
          aliases.set(local, `${module}.${(imported.name as string) ?? String(imported.value)}`);
        } else aliases.set(local, module);
      }
    } else if (node.type === 'VariableDeclarator' && node.init) {
      const module = requireOf(node.init as AnyNode);
      if (module !== undefined) {
        facts.push({ kind: 'import', line: lineOf(node), module });
        bind(node.id as AnyNode, module);
      } else {
        // const { exec } = cp (cp bound to a module), or an alias of a member: const run = cp.exec
        const target = dotted(node.init as AnyNode);
        const init = node.init as AnyNode;
        if (target && (init.type === 'Identifier' || init.type === 'MemberExpression') && target !== 'process.env')
          if ((node.id as AnyNode).type === 'ObjectPattern' || target.includes('.')) bind(node.id as AnyNode, target);
      }
    }
    for (const child of children(node)) collectBindings(child);
  };
  collectBindings(program);

  const visit = (node: AnyNode, parent: AnyNode | undefined) => {
    switch (node.type) {
      case 'CallExpression':
      case 'NewExpression': {
        const name = dotted(node.callee as AnyNode);
        if (name !== undefined) {
          const args = node.arguments as AnyNode[];
          const options: Record<string, ArgFact> = {};
          for (const a of args)
            if (a.type === 'ObjectExpression')
              for (const p of a.properties as AnyNode[]) {
                if (p.type !== 'Property') continue;
                const key = ((p.key as AnyNode).name as string | undefined) ?? literalString(p.key as AnyNode);
                if (key) options[key] = arg(p.value as AnyNode);
              }
          facts.push({ kind: 'call', line: lineOf(node), name, args: args.map(arg), options, src: srcOf(node) });
        }
        break;
      }
      case 'MemberExpression': {
        if (dotted(node) === 'process.env' && !(parent?.type === 'MemberExpression' && parent.object === node)) {
          if (parent?.type === 'VariableDeclarator' && (parent.id as AnyNode).type === 'ObjectPattern') {
            for (const p of (parent.id as AnyNode).properties as AnyNode[]) {
              const key = p.type === 'Property' ? ((p.key as AnyNode).name as string | undefined) : undefined;
              facts.push({
                kind: 'env',
                line: lineOf(node),
                whole: key === undefined,
                src: srcOf(parent),
                ...(key ? { key } : {}),
              });
            }
          } else facts.push({ kind: 'env', line: lineOf(node), whole: true, src: srcOf(parent ?? node) });
        } else if (dotted(node.object as AnyNode) === 'process.env') {
          const property = node.property as AnyNode;
          const key = node.computed ? literalString(property) : (property.name as string);
          facts.push({ kind: 'env', line: lineOf(node), whole: false, src: srcOf(node), ...(key ? { key } : {}) });
        }
        break;
      }
      case 'Literal':
        if (typeof node.value === 'string' && node.value.trim())
          facts.push({ kind: 'string', line: lineOf(node), value: node.value.slice(0, 2000) });
        break;
      case 'TemplateLiteral': {
        const text = (node.quasis as Array<{ value: { cooked: string | null } }>)
          .map((q) => q.value.cooked ?? '')
          .join('\u0024{}'); // where an expression sat
        if (text.trim()) facts.push({ kind: 'string', line: lineOf(node), value: text.slice(0, 2000) });
        // its text is one string fact (not one per piece); its expressions are still code
        for (const e of node.expressions as AnyNode[]) visit(e, node);
        return;
      }
    }
    for (const child of children(node)) visit(child, node);
  };
  visit(program, undefined);
  return { ok: true, facts };
}
