import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runInProcess, runProcess, tempDir } from '../support/run-cli.js';

/** Asserts the CLI failed with exit 2 and exactly one line on stderr matching `message`. */
function expectBadInput(result: { code: number; stderr: string; stdout: string }, message: RegExp) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^crosstalk: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

const configCases: Array<[string, string, RegExp]> = [
  ['unknown key', 'modle: sim\n', /unknown key 'modle'/],
  ['wrong type', 'limits:\n  concurrency: lots\n', /'limits\.concurrency' must be a number/],
  ['bad YAML', 'model: [sim\n', /not valid YAML/],
  ['unknown provider in config', 'model: gpt4\n', /model: unknown model 'gpt4'/],
  [
    'bad role model',
    'model: sim\nroleModels:\n  programmer: "foo:bar"\n',
    /roleModels\.programmer: unknown model 'foo:bar': unknown provider 'foo'/,
  ],
  ['negative budget', 'budget:\n  usd: -2\n', /'budget\.usd' must be positive/],
];

describe('bad input gives exit 2 and one line', () => {
  it.each(configCases)('config file with %s', async (_label, text, message) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'crosstalk.config.yaml'), text);
    expectBadInput(await runInProcess(['config'], { cwd }), message);
  });

  const flagCases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['unknown model provider', ['ask', 'hi', '--model', 'foo:bar'], {}, /--model: unknown model 'foo:bar'/],
    [
      'compatible model without id',
      ['ask', 'hi', '--model', 'compatible:http://127.0.0.1:9/v1'],
      {},
      /needs '<baseURL>#<model id>'/,
    ],
    ['compatible model with a non-URL', ['ask', 'hi', '--model', 'compatible:nowhere#m'], {}, /is not a URL/],
    [
      'openai without a key',
      ['ask', 'hi', '--model', 'openai:gpt-4o-mini'],
      {},
      /needs an OpenAI API key: set OPENAI_API_KEY/,
    ],
    [
      'anthropic without a key',
      ['ask', 'hi', '--model', 'anthropic:claude-sonnet-4-5'],
      {},
      /needs an Anthropic API key/,
    ],
    ['bad sim option', ['ask', 'hi', '--model', 'sim?latency=soon'], {}, /sim option 'latency'/],
    [
      'an embedding model from a provider without embeddings',
      ['dev', 'a clock', '--model', 'sim', '--embedding-model', 'anthropic:claude-sonnet-4-5'],
      {},
      /--embedding-model 'anthropic:claude-sonnet-4-5': Anthropic offers no embedding models/,
    ],
    [
      'an unknown embedding model',
      ['dev', 'a clock', '--model', 'sim', '--embedding-model', 'foo:bar'],
      {},
      /--embedding-model: unknown model 'foo:bar'/,
    ],
    ['zero dialogue turns', ['dev', 'a clock', '--model', 'sim', '--max-turns', '0'], {}, /--max-turns must be/],
    ['unknown sim option', ['ask', 'hi', '--model', 'sim?speed=9'], {}, /unknown sim option 'speed'/],
    [
      'non-numeric concurrency',
      ['ask', 'hi', '--model', 'sim', '--concurrency', 'x'],
      {},
      /--concurrency must be a positive integer/,
    ],
    [
      'negative budget flag',
      ['ask', 'hi', '--model', 'sim', '--budget-usd', '-1'],
      {},
      /--budget-usd must be a positive number/,
    ],
    [
      'bad temperature',
      ['ask', 'hi', '--model', 'sim', '--temperature', '7'],
      {},
      /--temperature must be a number from 0 to 2/,
    ],
    [
      'bad env variable',
      ['ask', 'hi', '--model', 'sim'],
      { CROSSTALK_CONCURRENCY: 'many' },
      /CROSSTALK_CONCURRENCY must be a positive integer/,
    ],
    ['missing config file', ['config', '--config', 'missing.yaml'], {}, /config file not found/],
    ['unknown option', ['ask', 'hi', '--modle', 'sim'], {}, /unknown option '--modle'/],
    ['unknown command', ['frobnicate'], {}, /unknown command 'frobnicate'/],
    ['missing argument', ['ask'], {}, /missing required argument 'prompt'/],
    ['unknown run id', ['runs', 'show', 'nope'], {}, /no run 'nope'/],
    [
      'bad --edge-runs',
      ['net', 'a haiku', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--edge-runs', 'always'],
      {},
      /--edge-runs must be one of off, request, every-round \(got "always"\)/,
    ],
    ['bad --density', ['graph', 'random', '--n', '8', '--density', 'thick'], {}, /--density must be paper or sparse/],
    [
      '--p with the paper density',
      ['graph', 'random', '--n', '8', '--density', 'paper', '--p', '0.5'],
      {},
      /parameter 'p' applies to density 'sparse' only/,
    ],
  ];
  it.each(flagCases)('%s', async (_label, args, env, message) => {
    expectBadInput(await runInProcess(args, { cwd: tempDir(), env: cleanEnv(env) }), message);
  });

  it('no model configured anywhere: says how to configure one and suggests --model sim', async () => {
    const result = await runInProcess(['ask', 'hi'], {
      cwd: tempDir(),
      env: cleanEnv({ OLLAMA_BASE_URL: 'http://127.0.0.1:9/v1' }),
    });
    expectBadInput(
      result,
      /no model configured: pass --model .*CROSSTALK_MODEL or OPENAI_API_KEY.*crosstalk\.config\.yaml.*--model sim/,
    );
  });

  it('the real process prints no stack trace for bad input', async () => {
    const result = await runProcess(['ask', 'hi', '--model', 'nope:x'], { cwd: tempDir() });
    expectBadInput(result, /unknown model 'nope:x'/);
  });

  it('--json prints one JSON document on stdout even for errors', async () => {
    const result = await runInProcess(['ask', 'hi', '--model', 'nope:x', '--json'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'MODEL_UNKNOWN' } });
  });

  const outCommands: Array<[string, string[]]> = [
    ['dev', ['dev', 'a todo app', '--model', 'sim']],
    ['dev --teams 2', ['dev', 'a todo app', '--teams', '2', '--model', 'sim']],
    ['net', ['net', 'a haiku', '--topology', 'chain', '--agents', '2', '--model', 'sim']],
    ['story', ['story', 'a lighthouse', '--teams', '2', '--model', 'sim']],
  ];

  it.each(outCommands)(
    '%s refuses an --out it cannot write before any model call, in one line',
    async (_label, command) => {
      const cwd = tempDir();
      writeFileSync(join(cwd, 'file.txt'), 'mine');
      mkdirSync(join(cwd, 'full'));
      writeFileSync(join(cwd, 'full', 'keep.md'), 'mine');
      const cases: Array<[string, RegExp]> = [
        ['file.txt', /cannot write to .*file\.txt: it is a file, not a directory/],
        ['file.txt/sub', /cannot create output directory .*file\.txt\/sub: .*ENOTDIR/],
        ['full', /output directory .*full is not empty; choose another --out/],
        ['/proc/crosstalk-out', /cannot create output directory \/proc\/crosstalk-out: /], // Node's recursive mkdir loops forever there
        ['', /--out must name a directory \(got ""\)/],
      ];
      for (const [out, message] of cases) {
        const result = await runInProcess([...command, '--out', out, '--json'], { cwd });
        expectBadInput(result, message);
        expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
      }
      // nothing was run, so no run was stored
      expect(existsSync(join(cwd, '.crosstalk'))).toBe(false);
      expect(readdirSync(join(cwd, 'full'))).toEqual(['keep.md']);
    },
  );

  it('creates a new --out before the run, and accepts an existing empty one', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'empty'));
    const result = await runInProcess(
      ['net', 'a haiku', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--out', 'empty'],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(existsSync(join(cwd, 'empty', 'answer.md'))).toBe(true);
    const nested = await runInProcess(['story', 'a lighthouse', '--teams', '2', '--model', 'sim', '--out', 'a/b/c'], {
      cwd,
    });
    expect(nested.code).toBe(0);
    expect(existsSync(join(cwd, 'a', 'b', 'c', 'story.md'))).toBe(true);
  });

  it('refuses role names that match no role, with the closest one, before any run is recorded', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'g.dot'), 'digraph { a [role="nonexistent"]; b; a -> b; }');
    writeFileSync(join(cwd, 'e.dot'), 'digraph { a; b; a -> b [critic="reviwer"]; }');
    writeFileSync(join(cwd, 'phases.yaml'), 'phases:\n  - name: coding\n    assistant: programer\n');
    const cases: Array<[string[], string]> = [
      [
        ['net', 'x', '--topology', 'g.dot', '--model', 'sim'],
        "crosstalk: graph node 'a': unknown role 'nonexistent'; known roles: ",
      ],
      [
        ['net', 'x', '--topology', 'e.dot', '--model', 'sim'],
        "crosstalk: graph edge 'a' -> 'b' critic: unknown role 'reviwer' (did you mean 'reviewer'?); known roles: ",
      ],
      [
        ['dev', 'x', '--model', 'sim', '--role-models', 'reviwer=sim'],
        "crosstalk: --role-models: unknown role 'reviwer' (did you mean 'reviewer'?); known roles: ",
      ],
      [
        ['dev', 'x', '--model', 'sim', '--phases', 'phases.yaml'],
        "crosstalk: phase coding: assistant: unknown role 'programer' (did you mean 'programmer'?); known roles: ",
      ],
    ];
    for (const [args, start] of cases) {
      const result = await runInProcess(args, { cwd });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(result.stderr.startsWith(start), result.stderr).toBe(true);
    }
    const runs = await runInProcess(['runs', 'list', '--json'], { cwd });
    expect(JSON.parse(runs.stdout)).toMatchObject({ runs: [] });
  });

  it('a run that fails validation before its first model call leaves no run behind', async () => {
    const cwd = tempDir();
    for (const model of ['openai:gpt-4o-mini', 'sim?latency=soon', 'nope:x']) {
      const result = await runInProcess(['net', 'x', '--topology', 'chain', '--agents', '2', '--model', model], {
        cwd,
      });
      expect(result.code, model).toBe(2);
    }
    const runs = await runInProcess(['runs', 'list', '--json'], { cwd });
    expect(JSON.parse(runs.stdout)).toMatchObject({ runs: [] });
  });
});
