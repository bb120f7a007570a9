import { hashString, seededRandom, type Random } from '../../common/index.js';

/** A chat message as the simulated model sees it (plain text content). */
export interface SimMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Input of {@link simulateReply}. */
export interface SimReplyInput {
  messages: SimMessage[];
  /** Mixed into every choice the simulated model makes. */
  seed: number;
  /** Different temperatures give different (but still deterministic) replies. */
  temperature?: number;
  modelId?: string;
  /** A dialogue is not concluded (no termination marker) before the assistant's turn number `minTurns`. Default 1. */
  minTurns?: number;
  /** A network edge's critic approves on its n-th review of the edge; 0 (default) never. */
  approveAfter?: number;
}

/**
 * The simulated model's reply to a conversation: a pure function of the
 * messages, the seed and the temperature.
 *
 * It is a test double, not a language model. It recognises the protocols
 * crosstalk's own prompts use and answers in kind, so every pipeline runs end
 * to end offline:
 * - a ```json example in the request → a JSON object of the same shape;
 * - lettered options and a request for an answer → `The answer is (X).`;
 * - a request for files as a "code block" → files, each a file-name line and a
 *   fenced block (a runnable Python or JavaScript program; an existing
 *   codebase in the prompt is returned revised; `Produce the file: X` yields X);
 * - `<INFO> …` termination markers → sometimes concludes with the marker,
 *   choosing among listed options where the marker is a placeholder;
 * - a network edge's review request (it offers `<INFO> Approved`) → a review,
 *   which approves exactly from the `approveAfter`-th review of the edge on;
 * - anything else → prose built from the task's words.
 */
export function simulateReply(input: SimReplyInput): string {
  const system = input.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
  const lastUser = [...input.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const request = `${system}\n${lastUser}`;
  // instructions given earlier in the conversation (a termination marker, the options) still hold
  const instructions = `${system}\n${input.messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n')}`;
  const assistantTurns = input.messages.filter((m) => m.role === 'assistant').length;
  const key = hashString(
    input.messages.map((m) => `${m.role}:${m.content}`).join('\u0000'),
    input.seed ^ Math.round((input.temperature ?? 0.7) * 1000),
  );
  const random = seededRandom(key);
  const ctx: ReplyContext = {
    request,
    instructions,
    lastUser,
    task: findTask(instructions),
    random,
    assistantTurns,
    minTurns: input.minTurns ?? 1,
  };

  // an edge critic's review: before the JSON check, as the code under review may hold a ```json file
  if (reviewPattern.test(lastUser)) return reviewReply(ctx, input.approveAfter ?? 0);
  // a request naming the files to write gets them, even when the code it shows holds a JSON file (package.json)
  const namesFiles = requestedFiles(lastUser).length > 0 && /code block/i.test(request);
  if (namesFiles) return withMarker(ctx, codeReply(ctx), true);
  if (/```json/i.test(lastUser) || /\b(reply|respond|answer) (only )?with (a |one )?json\b/i.test(lastUser))
    return jsonReply(ctx);
  if (isMultipleChoice(lastUser)) return choiceReply(ctx);
  if (/code block/i.test(request) && /\bfiles?\b/i.test(request)) return withMarker(ctx, codeReply(ctx), true);
  return withMarker(ctx, proseReply(ctx, targetWords(lastUser)), false);
}

interface ReplyContext {
  request: string;
  instructions: string;
  lastUser: string;
  task: string;
  random: Random;
  assistantTurns: number;
  minTurns: number;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function findTask(request: string): string {
  const labelled = /(?:^|\n)\s*(?:task|premise|question|goal)\s*:\s*(.+)/i.exec(request);
  if (labelled) return labelled[1]!.trim();
  const sentence =
    request
      .replace(/\s+/g, ' ')
      .trim()
      .split(/(?<=[.!?])\s/)[0] ?? '';
  return sentence.slice(0, 200);
}

const stopWords = new Set(
  'a an the and or of for to in on with by that this it is are be as at from into your you our we i me my its their them write make create build simple small program application app tool game using use based about'.split(
    ' ',
  ),
);

function keywords(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z][a-z-]{2,}/g) ?? [];
  const seen = new Set<string>();
  for (const w of words) if (!stopWords.has(w)) seen.add(w);
  return [...seen];
}

// ---------------------------------------------------------------- JSON

function extractJsonExample(text: string): unknown {
  const block = /```json\s*\n([\s\S]*?)```/i.exec(text);
  if (block) {
    try {
      return JSON.parse(block[1]!);
    } catch {
      // fall through to the generic shape
    }
  }
  return { score: 0.5, reason: 'string' };
}

function fillJson(example: unknown, ctx: ReplyContext, keyName = ''): unknown {
  if (Array.isArray(example)) {
    if (example.length === 0) return [];
    const count = 1 + Math.floor(ctx.random() * 3);
    return Array.from({ length: count }, () => fillJson(example[0], ctx, keyName));
  }
  if (example !== null && typeof example === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(example)) out[k] = fillJson(v, ctx, k);
    return out;
  }
  if (typeof example === 'number') {
    if (example >= 0 && example <= 1 && !Number.isInteger(example))
      return Math.round((0.45 + ctx.random() * 0.5) * 100) / 100;
    if (Number.isInteger(example) && example >= 0 && example <= 10) return 4 + Math.floor(ctx.random() * 6);
    return Math.round(ctx.random() * Math.max(1, Math.abs(example) * 2));
  }
  if (typeof example === 'boolean') return ctx.random() < 0.6;
  if (typeof example === 'string') {
    if (example.includes('|'))
      return pick(
        ctx.random,
        example.split('|').map((s) => s.trim()),
      );
    return sentence(ctx, keyName);
  }
  return null;
}

function jsonReply(ctx: ReplyContext): string {
  const value = fillJson(extractJsonExample(ctx.lastUser), ctx);
  const body = JSON.stringify(value, null, 2);
  // Real models wrap JSON in a fence about half the time; consumers must cope with both.
  return ctx.random() < 0.5 ? body : `Here is my assessment.\n\n\`\`\`json\n${body}\n\`\`\``;
}

// ---------------------------------------------------------------- multiple choice

function choiceLetters(text: string): string[] {
  const letters = new Set<string>();
  for (const m of text.matchAll(/^\s*\(?([A-J])[).:]\s+\S/gm)) letters.add(m[1]!);
  return [...letters].sort();
}

function isMultipleChoice(text: string): boolean {
  return choiceLetters(text).length >= 2 && /\banswer\b/i.test(text);
}

function choiceReply(ctx: ReplyContext): string {
  const letter = pick(ctx.random, choiceLetters(ctx.lastUser));
  return `${sentence(ctx, 'reasoning')} Weighing the options against each other, one fits best.\nThe answer is (${letter}).`;
}

// ---------------------------------------------------------------- network edge reviews

/** A network edge's review request: it tells the critic how to approve. */
const reviewPattern = /reply with only <INFO> Approved/;

function reviewReply(ctx: ReplyContext, approveAfter: number): string {
  // the critic's earlier reviews of this edge are its own (assistant) turns in the conversation
  if (approveAfter > 0 && ctx.assistantTurns + 1 >= approveAfter) return '<INFO> Approved';
  return `${sentence(ctx, 'review')} ${sentence(ctx, 'review')}`;
}

// ---------------------------------------------------------------- termination markers

function withMarker(ctx: ReplyContext, body: string, isCode: boolean): string {
  const marker = chooseMarker(ctx);
  if (!marker) return body;
  // a talkative model (minTurns) adds no marker before its minTurns-th reply in the conversation, code replies included
  if (ctx.assistantTurns + 1 < ctx.minTurns) return body;
  // A dialogue concludes sooner as it grows, as a real assistant would.
  const concludes = isCode || ctx.assistantTurns >= 2 || ctx.random() < 0.65;
  if (!concludes) return body;
  return `${body}\n\n${marker}`;
}

function chooseMarker(ctx: ReplyContext): string | undefined {
  const markers = [...ctx.instructions.matchAll(/<INFO>\s*([^\n"'`]*)/g)].map((m) => m[1]!.trim());
  if (markers.length === 0) return undefined;
  const concrete = markers.find((m) => m !== '' && !/^[<{[]|\.\.\.|…/.test(m));
  const placeholder = markers.find((m) => m === '' || /^[<{[]|\.\.\.|…/.test(m));
  if (placeholder !== undefined) {
    const options = listedOptions(ctx.instructions);
    if (options.length > 0) {
      const task = ctx.task.toLowerCase();
      const named = options.find((o) => task.includes(o.toLowerCase()));
      return `<INFO> ${named ?? options[0]!}`;
    }
  }
  return `<INFO> ${concrete ?? 'Finished'}`;
}

function listedOptions(text: string): string[] {
  const line = /(?:options|choose one of|one of)\s*:\s*([^\n]+)/i.exec(text);
  if (!line) return [];
  return line[1]!
    .split(/\.(?:\s|$)/)[0]!
    .split(/,|\bor\b/)
    .map((s) => s.replace(/[.`"']/g, '').trim())
    .filter((s) => s.length > 0 && s.length < 60);
}

// ---------------------------------------------------------------- prose

const openers = [
  'We should',
  'The plan is to',
  'It makes sense to',
  'A good approach is to',
  'I suggest we',
  'The next step is to',
];
const verbs = [
  'focus on',
  'clarify',
  'structure',
  'test',
  'document',
  'simplify',
  'strengthen',
  'separate',
  'validate',
  'polish',
];
const objects = [
  'the core flow',
  'the user input',
  'the main loop',
  'error handling',
  'the data model',
  'the interface',
  'edge cases',
  'the opening scene',
  'the central conflict',
  'the ending',
];

function sentence(ctx: ReplyContext, hint: string): string {
  const fromTask = keywords(ctx.task);
  const words = fromTask.length > 0 ? fromTask : keywords(hint);
  const topic = words.length > 0 ? pick(ctx.random, words) : 'task';
  return `${pick(ctx.random, openers)} ${pick(ctx.random, verbs)} ${pick(ctx.random, objects)} for the ${topic}.`;
}

function targetWords(text: string): number {
  const m = /about (\d{2,4}) words/i.exec(text);
  return m ? Number(m[1]) : 60;
}

function proseReply(ctx: ReplyContext, words: number): string {
  const out: string[] = [];
  let count = 0;
  while (count < words) {
    const s = sentence(ctx, ctx.lastUser.slice(0, 400));
    out.push(s);
    count += s.split(' ').length;
  }
  const paragraphs: string[] = [];
  for (let i = 0; i < out.length; i += 4) paragraphs.push(out.slice(i, i + 4).join(' '));
  return paragraphs.join('\n\n');
}

// ---------------------------------------------------------------- code

interface SimFile {
  name: string;
  content: string;
}

function fenceLanguage(name: string): string {
  const ext = name.split('.').pop() ?? '';
  return (
    { py: 'python', js: 'javascript', ts: 'typescript', md: 'markdown', json: 'json', txt: 'text', html: 'html' }[
      ext
    ] ?? ''
  );
}

function renderFiles(files: SimFile[]): string {
  return files
    .map((f) => `${f.name}\n\`\`\`${fenceLanguage(f.name)}\n${f.content.replace(/\n$/, '')}\n\`\`\``)
    .join('\n\n');
}

/** Files already in the prompt: a file-name line followed by a fenced block. */
function filesInPrompt(text: string): SimFile[] {
  const files: SimFile[] = [];
  const pattern = /(?:^|\n)([\w][\w./-]*\.[A-Za-z0-9]+)\s*\n```[^\n]*\n([\s\S]*?)\n```/g;
  for (const m of text.matchAll(pattern)) files.push({ name: m[1]!, content: `${m[2]!}\n` });
  // several candidates may carry the same file: a merged codebase has each file once (the latest version)
  const byName = new Map<string, SimFile>();
  for (const f of files) byName.set(f.name, f);
  return [...byName.values()];
}

function requestedFiles(text: string): string[] {
  const m = /produce the files?\s*:?\s*([^\n]+)/i.exec(text);
  if (!m) return [];
  return m[1]!
    .split(/[,\s]+/)
    .map((s) => s.replace(/[`"'.]+$/g, '').replace(/^[`"']+/g, ''))
    .filter((s) => /^[\w][\w./-]*\.[A-Za-z0-9]+$/.test(s));
}

function chosenLanguage(text: string): 'python' | 'javascript' {
  const m = /programming language\s*:\s*([A-Za-z+#.]+)/i.exec(text);
  const lang = (m?.[1] ?? '').toLowerCase();
  if (lang.startsWith('javascript') || lang.startsWith('node') || lang.startsWith('typescript')) return 'javascript';
  return 'python';
}

function codeReply(ctx: ReplyContext): string {
  const wanted = requestedFiles(ctx.lastUser);
  if (wanted.length > 0) {
    const lead = `Here ${wanted.length === 1 ? 'is the file' : 'are the files'} you asked for.`;
    return `${lead}\n\n${renderFiles(wanted.map((name) => ({ name, content: documentFile(name, ctx) })))}`;
  }
  const existing = filesInPrompt(ctx.lastUser).filter((f) => /\.(py|js|ts)$/.test(f.name));
  if (existing.length > 0) {
    const revised = existing.map(reviseFile);
    return `I revised the code to address the comments.\n\n${renderFiles(revised)}`;
  }
  const files = chosenLanguage(ctx.request) === 'javascript' ? javascriptProgram(ctx) : pythonProgram(ctx);
  return `${sentence(ctx, 'design')} The program is split into an entry point and a small storage module.\n\n${renderFiles(files)}`;
}

function reviseFile(file: SimFile): SimFile {
  const comment = file.name.endsWith('.py') ? '#' : '//';
  const lines = file.content.split('\n');
  const head = new RegExp(`^${comment} revision (\\d+)$`).exec(lines[0] ?? '');
  if (head) lines[0] = `${comment} revision ${Number(head[1]) + 1}`;
  else lines.unshift(`${comment} revision 1`);
  return { name: file.name, content: lines.join('\n') };
}

function subject(task: string): { noun: string; title: string } {
  const words = keywords(task).filter((w) => !['command-line', 'cli', 'line', 'command'].includes(w));
  const noun = (words[0] ?? 'item').replace(/[^a-z]/g, '') || 'item';
  const title = task.trim().length > 0 ? task.trim().replace(/\s+/g, ' ').slice(0, 80) : 'Generated program';
  return { noun, title };
}

function pythonProgram(ctx: ReplyContext): SimFile[] {
  const { noun, title } = subject(ctx.task);
  const cls = `${noun[0]!.toUpperCase()}${noun.slice(1)}Store`;
  const store = `"""Storage for ${noun} entries, kept in a JSON file beside the program."""
import json
import os


class ${cls}:
    """Keeps an ordered list of ${noun} entries with a done flag."""

    def __init__(self, path=None):
        self.path = path
        self.entries = []
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                self.entries = json.load(handle)

    def add(self, text):
        text = text.strip()
        if not text:
            raise ValueError("an entry needs some text")
        self.entries.append({"text": text, "done": False})
        return len(self.entries)

    def complete(self, number):
        if number < 1 or number > len(self.entries):
            raise IndexError("no entry number %d" % number)
        self.entries[number - 1]["done"] = True

    def remove(self, number):
        if number < 1 or number > len(self.entries):
            raise IndexError("no entry number %d" % number)
        return self.entries.pop(number - 1)

    def lines(self):
        return [
            "%d. [%s] %s" % (i + 1, "x" if e["done"] else " ", e["text"])
            for i, e in enumerate(self.entries)
        ]

    def save(self):
        if self.path:
            with open(self.path, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle, indent=2)
`;
  const main = `"""${title.replace(/"/g, "'")}

Usage: python3 main.py [add TEXT | done N | remove N | list]
With no arguments it shows a short demonstration and exits.
"""
import sys

from store import ${cls}

DATA_FILE = "${noun}s.json"


def demo():
    store = ${cls}()
    store.add("first ${noun}")
    store.add("second ${noun}")
    store.complete(1)
    print("${noun} list (demonstration):")
    for line in store.lines():
        print(line)
    return 0


def run(args):
    store = ${cls}(DATA_FILE)
    command = args[0]
    try:
        if command == "add" and len(args) > 1:
            number = store.add(" ".join(args[1:]))
            print("added %d" % number)
        elif command == "done" and len(args) == 2:
            store.complete(int(args[1]))
        elif command == "remove" and len(args) == 2:
            store.remove(int(args[1]))
        elif command == "list":
            for line in store.lines():
                print(line)
        else:
            print(__doc__)
            return 2
    except (ValueError, IndexError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    store.save()
    return 0


def main(argv):
    if len(argv) < 2:
        return demo()
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
`;
  return [
    { name: 'main.py', content: main },
    { name: 'store.py', content: store },
  ];
}

function javascriptProgram(ctx: ReplyContext): SimFile[] {
  const { noun, title } = subject(ctx.task);
  const store = `// Storage for ${noun} entries, kept in a JSON file beside the program.
const fs = require('fs');

class Store {
  constructor(path) {
    this.path = path;
    this.entries = path && fs.existsSync(path) ? JSON.parse(fs.readFileSync(path, 'utf8')) : [];
  }

  add(text) {
    const trimmed = String(text).trim();
    if (!trimmed) throw new Error('an entry needs some text');
    this.entries.push({ text: trimmed, done: false });
    return this.entries.length;
  }

  complete(number) {
    if (number < 1 || number > this.entries.length) throw new Error('no entry number ' + number);
    this.entries[number - 1].done = true;
  }

  lines() {
    return this.entries.map((e, i) => (i + 1) + '. [' + (e.done ? 'x' : ' ') + '] ' + e.text);
  }

  save() {
    if (this.path) fs.writeFileSync(this.path, JSON.stringify(this.entries, null, 2));
  }
}

module.exports = { Store };
`;
  const main = `// ${title.replace(/\n/g, ' ')}
// Usage: node main.js [add TEXT | done N | list]; with no arguments it shows a demonstration.
const { Store } = require('./store.js');

function demo() {
  const store = new Store();
  store.add('first ${noun}');
  store.add('second ${noun}');
  store.complete(1);
  console.log('${noun} list (demonstration):');
  for (const line of store.lines()) console.log(line);
  return 0;
}

function run(args) {
  const store = new Store('${noun}s.json');
  const [command, ...rest] = args;
  try {
    if (command === 'add' && rest.length > 0) console.log('added ' + store.add(rest.join(' ')));
    else if (command === 'done' && rest.length === 1) store.complete(Number(rest[0]));
    else if (command === 'list') store.lines().forEach((l) => console.log(l));
    else {
      console.log('usage: node main.js [add TEXT | done N | list]');
      return 2;
    }
  } catch (error) {
    console.error('error: ' + error.message);
    return 1;
  }
  store.save();
  return 0;
}

process.exitCode = process.argv.length < 3 ? demo() : run(process.argv.slice(2));
`;
  return [
    { name: 'main.js', content: main },
    { name: 'store.js', content: store },
  ];
}

function documentFile(name: string, ctx: ReplyContext): string {
  const lower = name.toLowerCase();
  const { title } = subject(ctx.task);
  if (lower === 'requirements.txt') return '# The program uses only the Python standard library.\n';
  if (lower === 'package.json')
    return `${JSON.stringify({ name: 'generated-program', version: '1.0.0', private: true, main: 'main.js', scripts: { start: 'node main.js' } }, null, 2)}\n`;
  if (lower.endsWith('.md')) {
    const entry = chosenLanguage(ctx.request) === 'javascript' ? 'node main.js' : 'python3 main.py';
    return `# ${title}\n\n${sentence(ctx, 'overview')}\n\n## Quick start\n\n    ${entry}\n\nRun it without arguments for a demonstration, or with \`add TEXT\`, \`done N\` and \`list\`.\n`;
  }
  return `${sentence(ctx, name)}\n`;
}
