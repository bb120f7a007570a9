import { dedupe, judgeFacts } from './code-rules.js';
import type { FileFacts } from './facts.js';
import { jsFacts } from './js-facts.js';
import { pythonFacts, type PythonFactsOptions } from './python-facts.js';
import { scanShellLine, scanShellText } from './scan-shell.js';
import { type Finding, snippetOf } from './types.js';

/** What a scan found, and how each language was read. */
export interface ScanReport {
  findings: Finding[];
  /** Files looked at. */
  scanned: number;
  /** How Python was read: `ast` (parsed), or `text` with the reason the parser was not available. */
  python: 'ast' | `text: ${string}`;
}

/** Options of {@link scanCodebase}. */
export type ScanOptions = PythonFactsOptions;

const base = (path: string) => path.split('/').pop() ?? path;
const lower = (path: string) => base(path).toLowerCase();

const isPython = (path: string) => /\.pyw?$/i.test(path);
const isJavaScript = (path: string) => /\.(?:m|c)?jsx?$/i.test(path);
const isShell = (path: string) =>
  /\.(?:sh|bash|zsh|ksh|command|mk)$/i.test(path) ||
  /^(?:makefile|gnumakefile|justfile|procfile|dockerfile|containerfile|\.envrc|\.env\.sh|\.bashrc|\.profile|\.zshrc)$/.test(
    lower(path),
  );
const isRequirements = (path: string) => /^(?:requirements[\w.-]*|constraints[\w.-]*)\.(?:txt|in)$/.test(lower(path));

/** File names that a shell would run or read as options: `$(…)`, backticks, separators, a leading dash. */
function nameFindings(path: string): Finding[] {
  const found: Finding[] = [];
  const bad = /\$\(|`|[;|&<>]|\$\{|[\n\r]/.exec(path);
  if (bad)
    found.push({
      file: path,
      line: 0,
      rule: 'runnable-file-name',
      severity: 'high',
      snippet: snippetOf(path),
      message: `the file name holds '${bad[0]}', which a shell would run`,
    });
  if (path.split('/').some((part) => part.startsWith('-')))
    found.push({
      file: path,
      line: 0,
      rule: 'runnable-file-name',
      severity: 'high',
      snippet: snippetOf(path),
      message: 'a file name starting with - is read as an option by commands given a wildcard',
    });
  return found;
}

function requirementsFindings(path: string, text: string): Finding[] {
  const found: Finding[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) return;
    const at = (severity: Finding['severity'], message: string): Finding => ({
      file: path,
      line: i + 1,
      rule: 'package-source',
      severity,
      snippet: snippetOf(raw),
      message,
    });
    if (/^(?:--extra-index-url|--index-url|-i)\b/.test(line))
      found.push(at('high', 'installs from a package index other than the default one'));
    else if (/^(?:--find-links|-f)\b/.test(line)) found.push(at('high', 'installs packages from a link page'));
    else if (/^--trusted-host\b/.test(line)) found.push(at('high', 'turns off TLS checks for a host'));
    else if (
      /git\+(?:http|git|ssh)?:\/\/|git\+http/.test(line) ||
      /^(?:-e\s+)?https?:\/\//.test(line) ||
      /@\s*https?:\/\//.test(line)
    )
      found.push(at('high', 'installs a package from a URL, not the registry'));
    else if (/^(?:-e\s+)?(?:\.\.|\/)/.test(line))
      found.push(at('medium', 'installs a package from a path outside the project'));
  });
  return found;
}

const installScripts = ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish', 'preprepare', 'postprepare'];

function lineOfText(text: string, needle: string): number {
  const index = text.indexOf(needle);
  return index < 0 ? 0 : text.slice(0, index).split('\n').length;
}

function packageJsonFindings(path: string, text: string): Finding[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof json !== 'object' || json === null) return [];
  const found: Finding[] = [];
  const record = json as Record<string, unknown>;
  const scripts = (record.scripts ?? {}) as Record<string, unknown>;
  for (const [name, command] of Object.entries(scripts)) {
    if (typeof command !== 'string') continue;
    const line = lineOfText(text, JSON.stringify(name));
    if (installScripts.includes(name))
      found.push({
        file: path,
        line,
        rule: 'install-hook',
        severity: 'high',
        snippet: snippetOf(`"${name}": ${JSON.stringify(command)}`),
        message: `npm runs the '${name}' script by itself on install`,
      });
    found.push(...scanShellLine(command, { file: path, line, context: 'command' }));
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = (record[field] ?? {}) as Record<string, unknown>;
    for (const [name, spec] of Object.entries(deps)) {
      if (typeof spec !== 'string') continue;
      if (/^(?:git\+)?(?:https?|git|ssh):|^git@|^github:|^gitlab:|^bitbucket:|^file:\.\.|^file:\//.test(spec))
        found.push({
          file: path,
          line: lineOfText(text, JSON.stringify(name)),
          rule: 'package-source',
          severity: 'high',
          snippet: snippetOf(`"${name}": "${spec}"`),
          message: 'a dependency fetched from a URL or path, not the registry',
        });
    }
  }
  return found;
}

/** tasks.json allows comments and trailing commas. */
function parseJsonc(text: string): unknown {
  const stripped = text
    .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str: string | undefined) => str ?? '')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(stripped);
}

function vscodeTasksFindings(path: string, text: string): Finding[] {
  let json: { tasks?: Array<Record<string, unknown>> };
  try {
    json = parseJsonc(text) as typeof json;
  } catch {
    return [];
  }
  const found: Finding[] = [];
  for (const task of json.tasks ?? []) {
    const command = [task.command, ...((task.args as unknown[]) ?? [])].filter((x) => typeof x === 'string').join(' ');
    const line = lineOfText(text, String(task.command ?? task.label ?? ''));
    const runOn = (task.runOptions as { runOn?: string } | undefined)?.runOn;
    if (runOn === 'folderOpen')
      found.push({
        file: path,
        line,
        rule: 'auto-run',
        severity: 'high',
        snippet: snippetOf(command),
        message: 'the editor runs this task as soon as the folder is opened',
      });
    found.push(...scanShellLine(command, { file: path, line, context: 'command' }));
  }
  return found;
}

function envrcFindings(path: string, text: string): Finding[] {
  const found = scanShellText(text, path, 'command');
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (/^(?:export\s+)?[A-Za-z_]\w*=(?:"[^"$`]*"|'[^']*'|[^\s$`;|&]*)$/.test(line)) return;
    if (/^(?:dotenv|dotenv_if_exists|layout|use|PATH_add|path_add|source_env|watch_file)\b[^;|&$`]*$/.test(line))
      return;
    found.push({
      file: path,
      line: i + 1,
      rule: 'auto-run',
      severity: 'medium',
      snippet: snippetOf(raw),
      message: 'direnv runs this command on entering the folder',
    });
  });
  return found;
}

/** Shell snippets in Markdown: fenced blocks marked as shell (or unmarked) and `$ ` prompt lines. */
function markdownFindings(path: string, text: string): Finding[] {
  const found: Finding[] = [];
  const lines = text.split('\n');
  let fence: { shell: boolean } | undefined;
  lines.forEach((raw, i) => {
    const open = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(raw);
    if (open) {
      fence = fence
        ? undefined
        : { shell: /^(?:|sh|bash|shell|console|zsh|terminal|powershell|ps1|cmd|bat)$/i.test(open[2]!) };
      return;
    }
    const prompt = /^\s*(?:\$|#|>|PS>)\s+(.*)$/.exec(raw);
    if (fence?.shell || (!fence && prompt)) {
      const command = fence ? raw.replace(/^\s*(?:\$|PS>)\s+/, '') : prompt![1]!;
      found.push(...scanShellLine(command, { file: path, line: i + 1, context: 'docs', snippet: raw }));
    }
  });
  return found;
}

function textFallback(path: string, text: string): Finding[] {
  return text.split('\n').flatMap((raw, i) => scanShellLine(raw, { file: path, line: i + 1, context: 'string' }));
}

function judged(path: string, text: string, facts: FileFacts | undefined, fallbackReason?: string): Finding[] {
  if (facts?.ok) return judgeFacts(path, facts.facts, text);
  const reason = facts && !facts.ok ? facts.error : (fallbackReason ?? 'no parser');
  return [
    {
      file: path,
      line: facts && !facts.ok ? facts.line : 0,
      rule: 'parse-error',
      severity: 'low',
      snippet: snippetOf(reason),
      message: `could not be parsed (${reason}); scanned as text`,
    },
    ...textFallback(path, text),
  ];
}

/** Extra findings for Python files that tools run by themselves: setup.py on install, conftest.py under pytest. */
function autoRunFindings(path: string, facts: FileFacts | undefined, findings: Finding[]): Finding[] {
  const name = lower(path);
  if (name !== 'setup.py' && name !== 'conftest.py') return [];
  const out: Finding[] = [];
  const serious = findings.filter((f) => f.file === path && f.severity !== 'low' && f.rule !== 'parse-error');
  const rule = name === 'setup.py' ? 'install-hook' : 'auto-run';
  const who = name === 'setup.py' ? 'pip runs setup.py on install' : 'pytest imports conftest.py before any test';
  for (const f of serious) out.push({ ...f, rule, message: `${who}, and it ${f.message.replace(/^it /, '')}` });
  if (name === 'setup.py' && facts?.ok)
    for (const fact of facts.facts)
      if (fact.kind === 'call' && fact.options.cmdclass)
        out.push({
          file: path,
          line: fact.line,
          rule: 'install-hook',
          severity: 'high',
          snippet: snippetOf(fact.src),
          message: 'setup.py replaces install commands (cmdclass): its code runs on install',
        });
  return out;
}

/**
 * Scans a codebase before anything runs it: programs (Python through Python's
 * `ast`, JavaScript through acorn), dependency files, build and editor files
 * that tools run on their own, shell snippets in Markdown, and file names.
 * Nothing is executed. When python3 is missing, Python is scanned as text
 * and the report says so.
 */
export async function scanCodebase(files: Record<string, string>, options: ScanOptions = {}): Promise<ScanReport> {
  const findings: Finding[] = [];
  const python = Object.fromEntries(Object.entries(files).filter(([path]) => isPython(path)));
  let pyFacts: Record<string, FileFacts> = {};
  let pythonMode: ScanReport['python'] = 'ast';
  try {
    pyFacts = await pythonFacts(python, options);
  } catch (error) {
    pythonMode = `text: ${(error as Error).message}`;
  }
  for (const [path, text] of Object.entries(files)) {
    findings.push(...nameFindings(path));
    const name = lower(path);
    if (isPython(path)) {
      const own = judged(path, text, pyFacts[path], pythonMode === 'ast' ? undefined : pythonMode);
      findings.push(...own, ...autoRunFindings(path, pyFacts[path], own));
    } else if (isJavaScript(path)) findings.push(...judged(path, text, jsFacts(text)));
    else if (name === '.envrc') findings.push(...envrcFindings(path, text));
    else if (isShell(path)) findings.push(...scanShellText(text, path, 'command'));
    else if (isRequirements(path)) findings.push(...requirementsFindings(path, text));
    else if (name === 'package.json') findings.push(...packageJsonFindings(path, text));
    else if (/(?:^|\/)\.vscode\/tasks\.json$/.test(path)) findings.push(...vscodeTasksFindings(path, text));
    else if (/\.(?:md|markdown|rst|txt)$/i.test(path) || name === 'readme')
      findings.push(...markdownFindings(path, text));
    else if (name === 'pyproject.toml' || name === 'setup.cfg' || name === 'pip.conf')
      findings.push(
        ...text.split('\n').flatMap((raw, i) =>
          /index-url|find-links|git\+http|trusted-host/.test(raw)
            ? [
                {
                  file: path,
                  line: i + 1,
                  rule: 'package-source' as const,
                  severity: 'high' as const,
                  snippet: snippetOf(raw),
                  message: 'installs from somewhere other than the default registry',
                },
              ]
            : [],
        ),
      );
  }
  return { findings: dedupe(findings), scanned: Object.keys(files).length, python: pythonMode };
}
