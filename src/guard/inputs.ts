import { type Finding, type Severity, snippetOf } from './types.js';

/**
 * Inputs are checked for text aimed at the agents rather than the people
 * (prompt injection) and for content hidden from people (BadAgent's passive
 * trigger: an invisible element). Triggers can be ordinary words, so this is
 * the second line of defence; the action policy is the first.
 */

interface InputRule {
  rule: 'agent-instruction' | 'hidden-content';
  severity: Severity;
  re: RegExp;
  message: string;
}

const invisible = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD\u180E]/g;
const bidi = /[\u202A-\u202E\u2066-\u2069]/g;
const tags = /[\u{E0000}-\u{E007F}]/gu;

const instructionRules: InputRule[] = [
  {
    rule: 'agent-instruction',
    severity: 'medium',
    re: /\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|preceding|all|your|the system|safety)\b[^.\n]{0,20}\b(?:instructions?|prompts?|rules|guidelines|directions|messages|context)\b/i,
    message: 'tells the agents to drop their instructions',
  },
  {
    rule: 'agent-instruction',
    severity: 'medium',
    re: /\byou are (?:now|no longer)\b|\bfrom now on,? you (?:are|will|must)\b|\b(?:new|updated|real) (?:system )?instructions?\s*:/i,
    message: 'tries to replace the agents’ roles',
  },
  {
    rule: 'agent-instruction',
    severity: 'medium',
    re: /(?:^|\n)\s*(?:system|assistant|developer)\s*:\s|<\|?(?:im_start|im_end|system|endoftext)\|?>|\[\/?INST\]|<<\/?SYS>>/i,
    message: 'imitates the chat protocol (a role override)',
  },
  {
    rule: 'agent-instruction',
    severity: 'medium',
    re: /\b(?:do not|don't|never) (?:tell|inform|mention (?:this )?to|reveal (?:this )?to|show) the (?:user|human|operator)\b/i,
    message: 'asks the agents to hide something from the user',
  },
];

const hiddenStyle =
  /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|(?:^|[;\s"'])(?:width|height|max-width|max-height)\s*:\s*0(?:px|em|%)?\s*(?:[;"']|$)|(?:left|top|right|text-indent)\s*:\s*-\d{3,}|clip(?:-path)?\s*:\s*(?:rect\(\s*0|inset\(\s*50%)/i;

const hiddenRules: InputRule[] = [
  {
    rule: 'hidden-content',
    severity: 'high',
    re: invisible,
    message: 'holds zero-width or invisible characters',
  },
  {
    rule: 'hidden-content',
    severity: 'high',
    re: bidi,
    message: 'holds bidirectional control characters (text shown in another order than it is read)',
  },
  { rule: 'hidden-content', severity: 'high', re: tags, message: 'holds Unicode tag characters (invisible text)' },
  {
    rule: 'hidden-content',
    severity: 'high',
    re: new RegExp(`<[a-z][^>]*\\bstyle\\s*=\\s*["'][^"']*(?:${hiddenStyle.source})`, 'i'),
    message: 'an element hidden by its style (display:none, visibility:hidden, zero size, off-screen)',
  },
  {
    rule: 'hidden-content',
    severity: 'high',
    re: /<[a-z][^>]*\s(?:hidden|aria-hidden\s*=\s*["']true["'])(?:\s|>|=)/i,
    message: 'an element marked hidden',
  },
  {
    rule: 'hidden-content',
    severity: 'medium',
    re: /<!--[\s\S]*?-->|^\s*\[\/\/\]:\s*#/m,
    message: 'a comment people do not see when the page is shown',
  },
];

/** `color` and `background(-color)` the same in one style attribute: text coloured like its background. */
function sameColour(text: string): RegExpExecArray | undefined {
  const styles = /style\s*=\s*["']([^"']*)["']/gi;
  for (let m = styles.exec(text); m; m = styles.exec(text)) {
    const style = m[1]!.toLowerCase();
    const colour = /(?:^|;)\s*color\s*:\s*([^;]+)/.exec(style)?.[1]?.trim();
    const background = /background(?:-color)?\s*:\s*([^;]+)/.exec(style)?.[1]?.trim();
    if (colour && background && colour.replace(/\s/g, '') === background.replace(/\s/g, '')) return m;
  }
  return undefined;
}

function show(text: string): string {
  return text
    .replace(invisible, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`)
    .replace(bidi, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase()}>`)
    .replace(tags, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase()}>`);
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Checks one input (the task, a role, a `--from` file) for agent-aimed instructions and hidden content. */
export function checkInput(text: string, source: string): Finding[] {
  const found: Finding[] = [];
  const add = (rule: InputRule, index: number, match: string) => {
    const line = lineAt(text, index);
    const lineText = text.split('\n')[line - 1] ?? match;
    found.push({
      file: source,
      line,
      rule: rule.rule,
      severity: rule.severity,
      snippet: snippetOf(show(lineText.length > 0 ? lineText : match)),
      message: rule.message,
    });
  };
  for (const rule of [...instructionRules, ...hiddenRules]) {
    const re = new RegExp(rule.re.source, rule.re.flags.includes('g') ? rule.re.flags : `${rule.re.flags}g`);
    const first = re.exec(text);
    if (first) add(rule, first.index, first[0]);
  }
  const coloured = sameColour(text);
  if (coloured)
    add(
      { rule: 'hidden-content', severity: 'high', re: /$/, message: 'text coloured like its background' },
      coloured.index,
      coloured[0],
    );
  return found;
}

const removed = '[removed by crosstalk: instruction aimed at agents]';

/**
 * The input without its hidden content (invisible characters, hidden elements
 * with what they hold, comments) and with lines of agent-aimed instructions
 * replaced by a marker. Best effort on HTML: hidden elements are removed up to
 * their closing tag, not parsed.
 */
export function sanitizeInput(text: string): string {
  let out = text.replace(invisible, '').replace(bidi, '').replace(tags, '');
  out = out.replace(/<!--[\s\S]*?-->/g, '').replace(/^\s*\[\/\/\]:\s*#.*$/gm, '');
  // hidden elements, with their content: <tag ... style="display:none" ...>…</tag>, then lone ones
  const hiddenOpen = new RegExp(
    `<([a-z][\\w-]*)\\b[^>]*(?:\\bstyle\\s*=\\s*["'][^"']*(?:${hiddenStyle.source})[^"']*["']|\\s(?:hidden|aria-hidden\\s*=\\s*["']true["']))[^>]*>`,
    'gi',
  );
  for (let guard = 0; guard < 100; guard++) {
    const m = hiddenOpen.exec(out);
    if (!m) break;
    const close = new RegExp(`</${m[1]}\\s*>`, 'i');
    const rest = out.slice(m.index + m[0].length);
    const end = close.exec(rest);
    const stop = end ? m.index + m[0].length + end.index + end[0].length : m.index + m[0].length;
    out = `${out.slice(0, m.index)}${out.slice(stop)}`;
    hiddenOpen.lastIndex = 0;
  }
  const coloured = (s: string): string => {
    const m = sameColour(s);
    if (!m) return s;
    const open = /<([a-z][\w-]*)\b[^>]*$/i.exec(s.slice(0, m.index + m[0].length));
    if (!open) return s.replace(m[0], '');
    const start = open.index;
    const afterOpen = s.indexOf('>', m.index) + 1;
    const end = new RegExp(`</${open[1]}\\s*>`, 'i').exec(s.slice(afterOpen));
    return coloured(`${s.slice(0, start)}${s.slice(end ? afterOpen + end.index + end[0].length : afterOpen)}`);
  };
  out = coloured(out);
  return out
    .split('\n')
    .map((line) => (instructionRules.some((r) => r.re.test(line)) ? removed : line))
    .join('\n');
}

/** The inputs of a software run. */
export interface ChainInputs {
  task: string;
  roles: Record<string, { title: string; persona: string; duties?: string[] } & Record<string, unknown>>;
  initial?: Record<string, string>;
}

/**
 * Checks the task, every role's text and every `--from` file; with `sanitize`,
 * returns them cleaned as well. Findings name their input: `task`,
 * `roles/<name>`, or the file's path.
 */
export function inspectChainInputs<T extends ChainInputs>(
  inputs: T,
  sanitize: boolean,
): { findings: Finding[]; inputs: T } {
  const findings: Finding[] = [...checkInput(inputs.task, 'task')];
  for (const [name, role] of Object.entries(inputs.roles))
    findings.push(...checkInput([role.title, role.persona, ...(role.duties ?? [])].join('\n'), `roles/${name}`));
  for (const [path, text] of Object.entries(inputs.initial ?? {})) findings.push(...checkInput(text, path));
  if (!sanitize || findings.length === 0) return { findings, inputs };
  const roles = Object.fromEntries(
    Object.entries(inputs.roles).map(([name, role]) => [
      name,
      {
        ...role,
        title: sanitizeInput(role.title),
        persona: sanitizeInput(role.persona),
        ...(role.duties ? { duties: role.duties.map(sanitizeInput) } : {}),
      },
    ]),
  );
  const initial = inputs.initial
    ? Object.fromEntries(Object.entries(inputs.initial).map(([path, text]) => [path, sanitizeInput(text)]))
    : undefined;
  return {
    findings,
    inputs: { ...inputs, task: sanitizeInput(inputs.task), roles, ...(initial ? { initial } : {}) },
  };
}
