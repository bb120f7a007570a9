import { spawn, spawnSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import type { FileFacts } from './facts.js';

/**
 * The helper that parses Python with Python's own `ast` module and prints
 * facts as JSON. It only parses (`ast.parse` compiles nothing and runs
 * nothing of the program), reads `{"files": {name: source}}` on stdin and
 * writes `{name: facts}` on stdout.
 */
const helper = String.raw`
import ast, json, sys

def seg(src, node, limit=300):
    try:
        s = ast.get_source_segment(src, node) or ''
    except Exception:
        s = ''
    return s[:limit]

class Collector(ast.NodeVisitor):
    def __init__(self, src):
        self.src = src
        self.aliases = {}
        self.facts = []

    def dotted(self, node):
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return (base if base is not None else '?') + '.' + node.attr
        if isinstance(node, ast.Call):
            base = self.dotted(node.func)
            return None if base is None else base + '()'
        return None

    def arg(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)) or (isinstance(node, ast.Constant) and node.value is None):
            return {'value': node.value}
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            return {'value': node.value.decode('latin-1')}
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return {'value': ' '.join(e.value for e in node.elts)}
        return {'src': seg(self.src, node)}

    def visit_Import(self, node):
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                self.aliases[a.name.split('.')[0]] = a.name.split('.')[0]
            self.facts.append({'kind': 'import', 'line': node.lineno, 'module': a.name})

    def visit_ImportFrom(self, node):
        mod = node.module or ''
        for a in node.names:
            self.aliases[a.asname or a.name] = (mod + '.' + a.name) if mod else a.name
            self.facts.append({'kind': 'import', 'line': node.lineno, 'module': (mod + '.' + a.name) if mod else a.name})

    def visit_Call(self, node):
        name = self.dotted(node.func)
        if name is not None:
            if name in ('os.getenv', 'os.environ.get', 'os.getenvb'):
                key = node.args[0] if node.args else None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self.facts.append({'kind': 'env', 'line': node.lineno, 'key': key.value, 'whole': False, 'src': seg(self.src, node)})
                else:
                    self.facts.append({'kind': 'env', 'line': node.lineno, 'whole': False, 'src': seg(self.src, node)})
            self.facts.append({
                'kind': 'call', 'line': node.lineno, 'name': name,
                'args': [self.arg(a) for a in node.args],
                'options': {k.arg: self.arg(k.value) for k in node.keywords if k.arg},
                'src': seg(self.src, node),
            })
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if self.dotted(node) in ('os.environ', 'os.environb', 'posix.environ'):
            parent = getattr(node, 'parent', None)
            if isinstance(parent, ast.Subscript) and parent.value is node:
                sl = parent.slice
                if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
                    self.facts.append({'kind': 'env', 'line': node.lineno, 'key': sl.value, 'whole': False, 'src': seg(self.src, parent)})
                else:
                    self.facts.append({'kind': 'env', 'line': node.lineno, 'whole': False, 'src': seg(self.src, parent)})
            elif isinstance(parent, ast.Attribute) and parent.attr in ('get', 'pop', 'setdefault', '__getitem__'):
                pass  # reported by visit_Call with its key
            else:
                self.facts.append({'kind': 'env', 'line': node.lineno, 'whole': True, 'src': seg(self.src, parent if parent is not None else node)})
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value.strip():
            self.facts.append({'kind': 'string', 'line': node.lineno, 'value': node.value[:2000]})
        elif isinstance(node.value, bytes) and node.value.strip():
            self.facts.append({'kind': 'string', 'line': node.lineno, 'value': node.value[:2000].decode('latin-1')})

def facts_of(name, src):
    try:
        tree = ast.parse(src, filename=name)
    except SyntaxError as e:
        return {'ok': False, 'error': 'SyntaxError: ' + str(e.msg), 'line': e.lineno or 0}
    except (ValueError, RecursionError, MemoryError) as e:
        return {'ok': False, 'error': type(e).__name__ + ': ' + str(e)[:200], 'line': 0}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            child.parent = parent
    c = Collector(src)
    # imports first, so a name used above its import (in a function) still resolves
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            c.visit(node)
    c.facts = []
    try:
        c.visit(tree)
    except RecursionError:
        return {'ok': False, 'error': 'RecursionError: nested too deeply to scan', 'line': 0}
    return {'ok': True, 'facts': c.facts}

sys.setrecursionlimit(10000)
req = json.load(sys.stdin)
out = {name: facts_of(name, src) for name, src in req['files'].items()}
json.dump(out, sys.stdout)
`;

/** Options of {@link pythonFacts}. */
export interface PythonFactsOptions {
  /** The Python interpreter. Default `python3`. */
  python?: string;
  /** Time limit for parsing all files, in ms. Default 20 000. */
  timeoutMs?: number;
}

const resolved = new Map<string, string>();

/**
 * The real interpreter behind a command name: `python3` may be a version-manager shim that costs
 * hundreds of milliseconds a start. Asked once per process and name; the name itself when that fails.
 */
function realInterpreter(python: string): string {
  const known = resolved.get(python);
  if (known) return known;
  const probe = spawnSync(python, ['-I', '-S', '-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const executable = probe.status === 0 ? probe.stdout.trim() : '';
  const real = executable && isAbsolute(executable) ? executable : python;
  resolved.set(python, real);
  return real;
}

/** Why the Python parser could not be used (then the scanner falls back to a text scan). */
export class PythonParserUnavailable extends Error {}

/**
 * Parses Python files with the host's `python3 -I` (isolated: no user site,
 * no environment variables, an empty environment) and a time limit. The
 * generated code is parsed, never executed, so this needs no sandbox; it
 * runs on the host because starting a sandbox per scan costs more than the
 * parse and a parse has nothing to contain.
 * @throws PythonParserUnavailable when python3 is missing, fails or times out.
 */
export async function pythonFacts(
  files: Record<string, string>,
  options: PythonFactsOptions = {},
): Promise<Record<string, FileFacts>> {
  if (Object.keys(files).length === 0) return {};
  const python = realInterpreter(options.python ?? 'python3');
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(python, ['-I', '-S', '-c', helper], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 20_000,
        killSignal: 'SIGKILL',
      });
    } catch (error) {
      reject(new PythonParserUnavailable((error as Error).message));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (error) => reject(new PythonParserUnavailable(`${python}: ${error.message}`)));
    child.stdin!.on('error', () => {}); // a helper that died early is reported by 'close'
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const why = signal ? `stopped by ${signal}` : Buffer.concat(err).toString().trim().split('\n').pop();
        reject(new PythonParserUnavailable(`${python} could not parse: ${why ?? `exit ${code}`}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as Record<string, FileFacts>);
      } catch (error) {
        reject(new PythonParserUnavailable(`the parse helper printed no JSON: ${(error as Error).message}`));
      }
    });
    child.stdin!.end(JSON.stringify({ files }));
  });
}
