import type { ArgFact, Fact } from './facts.js';
import { scanShellLine, secretName } from './scan-shell.js';
import { type Finding, type GuardRule, type Severity, snippetOf } from './types.js';

interface CallRule {
  rule: GuardRule;
  re: RegExp;
  /** Severity from the call's arguments. */
  judge: (call: CallFact, text: string) => { severity: Severity; message: string } | undefined;
}

type CallFact = Extract<Fact, { kind: 'call' }>;

const networkCalls =
  /^(?:socket\.(?:socket|create_connection|create_server|socketpair|fromfd)|urllib\.request\.(?:urlopen|urlretrieve|Request|build_opener)|urllib2\.urlopen|requests\.\w+|httpx\.\w+|http\.client\.\w*Connection|aiohttp\.\w+|ftplib\.\w+|smtplib\.\w+|telnetlib\.\w+|paramiko\.\w+|pycurl\.\w+|websocket\.\w+|websockets\.\w+|asyncio\.(?:open_connection|start_server|open_unix_connection)|socketserver\.\w+|http\.server\.\w+|xmlrpc\.client\.\w+|fetch|XMLHttpRequest|WebSocket|EventSource|(?:http|https|http2)\.(?:request|get|createServer|connect)|net\.(?:connect|createConnection|createServer|Socket)|tls\.(?:connect|createServer)|dgram\.createSocket|axios(?:\.\w+)?|undici\.\w+|node-fetch|ws)$/;
const networkModules =
  /^(?:socket|requests|urllib\.request|urllib2|http\.client|http\.server|httpx|aiohttp|ftplib|smtplib|telnetlib|paramiko|pycurl|websocket|websockets|socketserver|xmlrpc|net|http|https|http2|tls|dgram|axios|node-fetch|undici|ws)(?:\.|$)/;
const spawnCalls =
  /^(?:os\.(?:system|popen[234]?|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|startfile)|subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)|pty\.spawn|commands\.\w+|asyncio\.create_subprocess_(?:exec|shell)|child_process\.(?:exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)|execa(?:\.\w+)?|shelljs\.exec|Bun\.spawn)$/;
const evalCalls =
  /^(?:eval|exec|compile|builtins\.(?:eval|exec|compile)|__import__|importlib\.import_module|Function|vm\.(?:runInThisContext|runInNewContext|runInContext|Script|compileFunction)|setTimeout|setInterval)$/;
const deleteCalls =
  /^(?:shutil\.(?:rmtree|move|chown)|os\.(?:remove|unlink|rmdir|removedirs|chmod|lchmod|chown|lchown|truncate|rename|replace)|(?:pathlib\.Path\(\)|\?)\.(?:unlink|rmdir|chmod|lchmod)|fs(?:\.promises)?\.(?:rm|rmSync|rmdir|rmdirSync|unlink|unlinkSync|chmod|chmodSync|lchmod|chown|chownSync|lchown|lchownSync|truncate|truncateSync|rename|renameSync)|fs\/promises\.(?:rm|rmdir|unlink|chmod|chown|truncate|rename)|rimraf(?:\.\w+)?|fs-extra\.(?:remove|removeSync|emptyDir|emptyDirSync))$/;
const writeCalls =
  /^(?:open|io\.open|os\.open|codecs\.open|(?:pathlib\.Path\(\)|\?)\.(?:write_text|write_bytes)|fs(?:\.promises)?\.(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|open|openSync|copyFile|copyFileSync|cp|cpSync)|fs\/promises\.(?:writeFile|appendFile|open|copyFile|cp)|shutil\.(?:copy|copy2|copyfile|copytree))$/;
const linkCalls =
  /^(?:os\.(?:symlink|link)|(?:pathlib\.Path\(\)|\?)\.(?:symlink_to|hardlink_to|link_to)|fs(?:\.promises)?\.(?:symlink|symlinkSync|link|linkSync)|fs\/promises\.(?:symlink|link))$/;
const daemonCalls = /^(?:os\.(?:setsid|setpgrp|setpgid|daemon)|daemon\.DaemonContext|posix\.setsid)$/;
const killCalls = /^(?:os\.(?:kill|killpg)|signal\.pthread_kill|process\.kill)$/;
const privilegeCalls =
  /^(?:os\.(?:setuid|setgid|seteuid|setegid|setreuid|setregid|setresuid|setresgid|setgroups|initgroups|chroot|unshare|setns)|process\.(?:setuid|setgid|seteuid|setegid|setgroups|initgroups|dlopen)|prctl\.\w+)$/;
const nativeCalls = /^(?:ctypes\.(?:CDLL|cdll\.LoadLibrary|CDLL\(\)\.\w+)|ctypes\.util\.find_library|ffi-napi\.\w+)$/;
const installCalls = /^(?:pip\.main|pip\._internal\.main|pip\._internal\.cli\.main\.main)$/;

/** Code that decodes or hides text before running it. */
const decoding =
  /b64decode|b32decode|b85decode|a85decode|base64|\.decode\(|fromhex|unhexlify|zlib|gzip|bz2|lzma|marshal|codecs|rot.?13|atob|Buffer\.from|fromCharCode|\[::-1\]|\bchr\(|\bbytes\(|bytearray|decompress|\.reverse\(\)|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/i;
/** Code that fetches text from the network. */
const fetching = /urlopen|requests\.|httpx|fetch\(|https?:|socket|\.recv\(|http\.get|axios/i;
/** A path outside the workspace: absolute, the home folder, or a parent. */
const outsidePath =
  /^\s*(?:\/(?!tmp\b)|~|\.\.(?:\/|$))|expanduser|Path\.home|homedir|\bHOME\b|environ|getenv|process\.env|\/\.\.\//;

function argText(arg: ArgFact | undefined): string {
  if (!arg) return '';
  return arg.value !== undefined ? String(arg.value) : (arg.src ?? '');
}

function isLiteral(arg: ArgFact | undefined): boolean {
  return arg !== undefined && arg.value !== undefined;
}

/** Where a call's path argument points: outside the workspace, unknown (computed), or inside. */
function pathPlace(call: CallFact, index = 0): 'outside' | 'computed' | 'inside' {
  const arg = call.args[index];
  const text = arg ? argText(arg) : call.src;
  if (outsidePath.test(text) || (!arg && outsidePath.test(call.src.replace(/^[^(]*\(/, '')))) return 'outside';
  if (arg && isLiteral(arg)) return 'inside';
  // a method on a Path built from a literal: Path('/etc/x').unlink()
  const built = /Path\(\s*(['"])(.*?)\1/.exec(call.src);
  if (built) return outsidePath.test(built[2]!) ? 'outside' : 'inside';
  return 'computed';
}

const callRules: CallRule[] = [
  {
    rule: 'network',
    re: networkCalls,
    judge: (call) => {
      const target = call.args.map(argText).join(' ');
      const loopback = /127\.0\.0\.1|localhost|::1|0\.0\.0\.0/.test(`${target} ${call.src}`);
      return {
        severity: 'high',
        message: loopback ? 'connects to a port on the host (loopback)' : 'uses the network',
      };
    },
  },
  {
    rule: 'process-spawn',
    re: spawnCalls,
    judge: (call) => {
      const first = call.args[0];
      if (isLiteral(first) && !/\$\{|%s|\{\}/.test(String(first!.value)))
        return { severity: 'medium', message: `starts another program: ${snippetOf(String(first!.value))}` };
      return { severity: 'high', message: 'starts a program whose command is computed (text from outside)' };
    },
  },
  {
    rule: 'package-install',
    re: installCalls,
    judge: () => ({ severity: 'high', message: 'installs packages from inside the program' }),
  },
  {
    rule: 'dynamic-code',
    re: evalCalls,
    judge: (call) => {
      const first = call.args[0];
      if (!first || isLiteral(first)) return undefined;
      if ((call.name === 'setTimeout' || call.name === 'setInterval') && !/^['"`]/.test(first.src ?? ''))
        return undefined;
      return { severity: 'medium', message: `runs text as code (${call.name})` };
    },
  },
  {
    rule: 'destructive-fs',
    re: deleteCalls,
    judge: (call) => {
      const place = pathPlace(call);
      if (place === 'outside')
        return { severity: 'high', message: 'deletes or changes permissions outside the workspace' };
      if (place === 'computed') return { severity: 'medium', message: 'deletes or changes a computed path' };
      return undefined;
    },
  },
  {
    rule: 'destructive-fs',
    re: writeCalls,
    judge: (call) => {
      const mode = argText(call.args[1] ?? call.options.mode ?? call.options.flags);
      const writes =
        !/^(?:open|io\.open|codecs\.open|os\.open)$/.test(call.name) || /[wax+]|O_WRONLY|O_RDWR/.test(mode);
      const index = /^shutil\.|copyFile|cp(?:Sync)?$/.test(call.name) ? 1 : 0;
      if (writes && pathPlace(call, index) === 'outside')
        return { severity: 'high', message: 'writes a file outside the workspace' };
      return undefined;
    },
  },
  {
    rule: 'symlink-escape',
    re: linkCalls,
    judge: (call) => {
      const place = pathPlace(call);
      if (place === 'outside')
        return {
          severity: 'high',
          message: 'plants a link to a place outside the workspace (writes through it escape)',
        };
      return { severity: 'medium', message: 'makes a link' };
    },
  },
  {
    rule: 'daemon',
    re: daemonCalls,
    judge: () => ({ severity: 'high', message: 'detaches from its session to outlive the run' }),
  },
  {
    rule: 'daemon',
    re: /^os\.fork$|^os\.forkpty$/,
    judge: () => ({ severity: 'medium', message: 'forks the process' }),
  },
  {
    rule: 'kill-process',
    re: killCalls,
    judge: (call) => {
      const target = argText(call.args[0]);
      if (/getppid|ppid/.test(target)) return { severity: 'high', message: 'kills its parent process' };
      if (/getpid\(\)$|process\.pid$/.test(target)) return undefined;
      if (/^-?[01]$/.test(target) || call.name === 'os.killpg' || /getpgid|getpgrp/.test(target))
        return { severity: 'high', message: 'signals a whole process group or every process' };
      return { severity: 'medium', message: 'signals another process' };
    },
  },
  {
    rule: 'privilege',
    re: privilegeCalls,
    judge: (call) => ({ severity: 'high', message: `changes its privileges or namespaces (${call.name})` }),
  },
];

/**
 * Judges the facts of one parsed program. Calls are matched by their resolved
 * names; string constants and literal command lines go through the shell rules
 * (so `os.system("curl … | sh")` is download-and-execute, not only a spawn).
 */
export function judgeFacts(file: string, facts: Fact[], source: string): Finding[] {
  const lines = source.split('\n');
  const lineText = (line: number) => lines[line - 1] ?? '';
  const found: Finding[] = [];
  const add = (line: number, rule: GuardRule, severity: Severity, message: string, snippet?: string) =>
    found.push({ file, line, rule, severity, message, snippet: snippetOf(snippet ?? lineText(line)) });
  const native = facts.some((f) => f.kind === 'call' && nativeCalls.test(f.name));
  const calls = facts.filter((f): f is CallFact => f.kind === 'call');
  const usesNetwork = calls.some((c) => networkCalls.test(c.name));
  // names of secrets spelled out in the file: a computed environment read is then a read of those
  const secretNames = facts.some(
    (f) => f.kind === 'string' && /^[A-Z][A-Z0-9_]*$/.test(f.value) && secretName.test(f.value),
  );
  for (const fact of facts) {
    switch (fact.kind) {
      case 'import':
        if (networkModules.test(fact.module)) add(fact.line, 'network', 'medium', `imports ${fact.module}`);
        if (/^(?:ctypes|cffi|ffi-napi)\b/.test(fact.module) && native)
          add(fact.line, 'privilege', 'medium', 'loads native code');
        break;
      case 'string':
        for (const [i, part] of fact.value.split('\n').entries()) {
          for (const f of scanShellLine(part, { file, line: fact.line + i, context: 'string' })) found.push(f);
          if (native && /\b(?:ptrace|unshare|setns|mount|prctl|setuid)\b/.test(part))
            add(fact.line + i, 'privilege', 'high', `calls ${part.trim()} through native code`);
        }
        break;
      case 'env':
        if (fact.whole) add(fact.line, 'secret-read', 'high', 'reads the whole environment (API keys included)');
        else if (fact.key === undefined)
          add(
            fact.line,
            'secret-read',
            secretNames ? 'high' : 'medium',
            secretNames ? 'reads environment variables named like secrets' : 'reads a computed environment variable',
          );
        else if (secretName.test(fact.key)) add(fact.line, 'secret-read', 'high', `reads the secret ${fact.key}`);
        break;
      case 'call': {
        for (const rule of callRules) {
          if (!rule.re.test(fact.name)) continue;
          const verdict = rule.judge(fact, lineText(fact.line));
          if (verdict) add(fact.line, rule.rule, verdict.severity, verdict.message);
        }
        if (evalCalls.test(fact.name) && fact.args[0] && !isLiteral(fact.args[0])) {
          const text = argText(fact.args[0]);
          const inner = calls
            .filter((c) => c.line === fact.line && c !== fact)
            .map((c) => c.name)
            .join(' ');
          if (
            fetching.test(text) ||
            networkCalls.test(inner) ||
            (usesNetwork && /\.(?:text|read|json|content|body|arrayBuffer|recv)\b/.test(text))
          )
            add(fact.line, 'download-execute', 'high', 'runs code fetched from the network');
          else if (decoding.test(text) || /b64decode|\.decode|fromhex|decompress|fromCharCode/.test(inner))
            add(fact.line, 'obfuscated-exec', 'high', 'runs decoded or obfuscated text');
        }
        // a detached child (spawn(…, { detached: true }), Popen(…, start_new_session=True))
        if (spawnCalls.test(fact.name)) {
          const o = fact.options;
          if (
            o.detached?.value === true ||
            o.start_new_session?.value === true ||
            /setsid/.test(o.preexec_fn?.src ?? '')
          )
            add(fact.line, 'daemon', 'high', 'starts a detached process that outlives the run');
          for (const arg of fact.args.slice(0, 1))
            if (isLiteral(arg))
              for (const f of scanShellLine(String(arg.value), { file, line: fact.line, context: 'command' }))
                found.push({ ...f, snippet: snippetOf(lineText(fact.line)) });
        }
        if (
          native &&
          /(?:^|\.)(?:ptrace|unshare|setns|mount|pivot_root|prctl|process_vm_readv|process_vm_writev|setuid)$/.test(
            fact.name,
          )
        )
          add(fact.line, 'privilege', 'high', `calls ${fact.name.split('.').pop()} through native code`);
        if (/(?:^|\.)unref$/.test(fact.name) && /spawn|fork|exec/.test(fact.src))
          add(fact.line, 'daemon', 'high', 'lets a child process outlive the run (unref)');
        break;
      }
    }
  }
  return dedupe(found);
}

/** One finding per file, line and rule: the most severe. */
export function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  const rank = { low: 0, medium: 1, high: 2 } as const;
  for (const f of findings) {
    const key = `${f.file}\u0000${f.line}\u0000${f.rule}`;
    const kept = best.get(key);
    if (!kept || rank[f.severity] > rank[kept.severity]) best.set(key, f);
  }
  return [...best.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
