import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runInProcess, storedNetRun, tempDir } from '../../test/support/run-cli.js';
import {
  parseSse,
  recordBudgetStoppedRun,
  recordRun,
  runPageData,
  serveStore,
  storeIn,
} from '../../test/support/viewer.js';
import { ConfigError } from '../errors/index.js';
import { EventStream, type CrosstalkEvent } from '../events/index.js';
import { RunSession } from '../jobs/index.js';
import { SqliteRunStore } from '../store/index.js';
import { createViewerApp } from './app.js';
import { expandDetail } from './detail-wire.js';
import { tokenMatches } from './guard.js';
import { LiveRuns } from './live-runs.js';
import { startViewer } from './start.js';
import type { RunDetailWire, StepDetail } from './view-types.js';

const local = { host: '127.0.0.1:4000' };

/** A store holding one finished 4-node sim chain, and a viewer app over it. */
async function viewerOverRun(options: { token?: string; webRoot?: string; live?: LiveRuns } = {}) {
  const cwd = tempDir('crosstalk-serve-');
  const runId = await storedNetRun(cwd, 4);
  const store = new SqliteRunStore(storeIn(cwd), { readOnly: true });
  onTestFinished(() => store.close());
  const app = createViewerApp({ store: () => store, boundHost: '127.0.0.1', ...options });
  const get = (path: string, headers: Record<string, string> = {}) =>
    app.request(`http://127.0.0.1:4000${path}`, { headers: { ...local, ...headers } });
  return { cwd, runId, app, get };
}

describe('viewer API', () => {
  it('serves runs, a network run with its graph and node states, a node dialogue and its artifact', async () => {
    const { runId, get } = await viewerOverRun();
    const list = (await (await get('/api/runs')).json()) as {
      runs: Array<{ id: string; status: string; config: Record<string, unknown> }>;
    };
    expect(list.runs.map((r) => r.id)).toEqual([runId]);
    // the list leaves a network's graph out of each run's configuration (the run's page data has it)
    expect(list.runs[0]!.config).toMatchObject({ topology: 'chain' });
    expect(list.runs[0]!.config).not.toHaveProperty('graph');
    expect((await (await get('/api/runs?kind=dev')).json()) as unknown).toEqual({ runs: [] });

    // the page's data: the steps and the graph as columns (edges name nodes by index), the graph left out of the
    // run's configuration
    const wire = (await (await get(`/api/runs/${runId}`)).json()) as RunDetailWire;
    expect(wire.graph!.from).toEqual([0, 1, 2]);
    expect(wire.graph!.to).toEqual([1, 2, 3]);
    expect(wire.run.config).not.toHaveProperty('graph');
    expect(wire.steps.id).toHaveLength(4);
    const detail = expandDetail(wire);
    expect(detail.run.status).toBe('completed');
    expect(detail.graph!.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 3]);
    expect(detail.graph!.edges).toHaveLength(3);
    const nodeIds = detail.graph!.nodes.map((n) => n.id);
    expect(detail.steps.filter((s) => nodeIds.includes(s.id)).map((s) => [s.state, s.hasArtifact])).toEqual([
      ['done', true],
      ['done', true],
      ['done', true],
      ['done', true],
    ]);
    // a step's meta comes with the step, when its panel opens
    const step = (await (await get(`/api/runs/${runId}/step?step=${nodeIds[1]}`)).json()) as { step: StepDetail };
    expect(step.step).toMatchObject({ id: nodeIds[1], state: 'done', attempts: 1, hasArtifact: true });
    expect(step.step.meta).toMatchObject({ calls: 2 });
    expect((await get(`/api/runs/${runId}/step?step=nope`)).status).toBe(404);

    // the second node of the chain: its critic reviews the first node's artifact, its actor refines it
    const second = nodeIds[1]!;
    const calls = (await (await get(`/api/runs/${runId}/calls?scope=${encodeURIComponent(second)}`)).json()) as {
      calls: Array<{ agent: string; scope: string; messages: Array<{ content: string }>; reply: string }>;
    };
    expect(calls.calls.map((c) => c.agent)).toEqual(['critic', 'actor']);
    expect(calls.calls.every((c) => c.scope === second && c.messages.length > 0 && c.reply.length > 0)).toBe(true);

    const artifact = (await (await get(`/api/runs/${runId}/artifact?step=${encodeURIComponent(second)}`)).json()) as {
      content: string;
    };
    expect(artifact.content).toBe(calls.calls[1]!.reply);

    const dialogue = (await (await get(`/api/runs/${runId}/dialogue?node=${encodeURIComponent(second)}`)).json()) as {
      edges: Array<{ from: string; turns: Array<{ agent: string }> }>;
      other: unknown[];
    };
    expect(dialogue.edges.map((e) => [e.from, e.turns.map((t) => t.agent)])).toEqual([
      [nodeIds[0], ['critic', 'actor']],
    ]);
    expect(dialogue.other).toEqual([]);

    const usage = (await (await get(`/api/runs/${runId}/usage`)).json()) as {
      perAgent: Record<string, { calls: number }>;
    };
    expect(usage.perAgent.critic?.calls).toBe(3);
    expect(usage.perAgent.actor?.calls).toBe(4);
  });

  it('answers unknown runs, steps and endpoints with 404 JSON', async () => {
    const { runId, get } = await viewerOverRun();
    for (const path of [
      '/api/runs/no-such-run',
      '/api/runs/no-such-run/events',
      '/api/runs/no-such-run/calls',
      '/api/runs/no-such-run/usage',
      '/api/runs/no-such-run/dialogue?node=n1',
      `/api/runs/${runId}/dialogue?node=no-such-node`,
      '/api/runs/no-such-run/stream',
      '/api/runs/no-such-run/artifact?step=n1',
      `/api/runs/${runId}/artifact?step=no-such-step`,
      '/api/nothing-here',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe('NOT_FOUND');
    }
  });

  it('requires the token on every request when one is set: header, query (which sets a cookie) or cookie', async () => {
    const { get } = await viewerOverRun({ token: 'correct-horse-battery' });
    expect((await get('/api/runs')).status).toBe(401);
    expect((await get('/')).status).toBe(401);
    expect((await get('/api/runs', { authorization: 'Bearer wrong-token-here' })).status).toBe(401);
    expect((await get('/api/runs?token=correct-horse-batter')).status).toBe(401);
    expect((await get('/api/runs', { authorization: 'Bearer correct-horse-battery' })).status).toBe(200);
    const viaQuery = await get('/api/runs?token=correct-horse-battery');
    expect(viaQuery.status).toBe(200);
    const cookie = viaQuery.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await get('/api/runs', { cookie: cookie.split(';')[0]! })).status).toBe(200);
    expect(tokenMatches('a', 'a')).toBe(true);
    expect(tokenMatches('a', 'ab')).toBe(false);
    expect(tokenMatches(undefined, 'ab')).toBe(false);
  });

  it('never reads a file outside the web root or the store, whatever the path', async () => {
    const root = tempDir('crosstalk-web-');
    const web = join(root, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>viewer</title>');
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET');
    writeFileSync(join(web, '.hidden'), 'TOP-SECRET');
    symlinkSync(join(root, 'secret.txt'), join(web, 'assets', 'link.txt'));
    const { runId, get } = await viewerOverRun({ webRoot: web });
    expect(await (await get('/')).text()).toContain('<title>viewer</title>');
    expect((await get('/assets/app.js')).headers.get('content-type')).toMatch(/javascript/);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/link.txt',
      '/.hidden',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
      '/assets/app.js%00.html',
      '/%E0%A4%A',
      `/api/runs/${runId}/artifact?step=../../../etc/passwd`,
      `/api/runs/${runId}/artifact?step=/etc/passwd`,
      `/api/runs/..%2f..%2fetc%2fpasswd`,
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      const body = await response.text();
      expect(body, path).not.toContain('TOP-SECRET');
      expect(body, path).not.toContain('root:');
    }
  });

  it('keeps CORS closed: no allow-origin header, foreign origins and preflights refused, foreign hosts refused', async () => {
    const { get, app } = await viewerOverRun();
    const foreign = await get('/api/runs', { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await app.request('http://127.0.0.1:4000/api/runs', {
      method: 'OPTIONS',
      headers: { ...local, origin: 'http://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const same = await get('/api/runs', { origin: 'http://127.0.0.1:4000' });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    // a name that resolves to this machine through someone's DNS (rebinding) is not served without a token
    expect((await get('/api/runs', { host: 'evil.example:4000' })).status).toBe(403);
  });

  it('is read-only unless control is allowed', async () => {
    const { runId, app } = await viewerOverRun();
    const response = await app.request(`http://127.0.0.1:4000/api/runs/${runId}/cancel`, {
      method: 'POST',
      headers: local,
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('READ_ONLY');
  });

  it('streams a finished run from its start to run-finished, then an end event; a bad speed is refused', async () => {
    const { runId, get } = await viewerOverRun();
    const response = await get(`/api/runs/${runId}/stream`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { data, names } = parseSse(await response.text());
    const types = data.map((e) => (e as { type: string }).type);
    expect(types[0]).toBe('run-started');
    expect(types.at(-1)).toBe('run-finished');
    expect(types.filter((t) => t === 'step-finished')).toHaveLength(4); // one per node (one sink: no merge)
    expect(names).toEqual(['end']);
    const replay = parseSse(await (await get(`/api/runs/${runId}/stream?speed=1000`)).text());
    expect(replay.data).toEqual(data);
    expect((await get(`/api/runs/${runId}/stream?speed=0`)).status).toBe(400);
    expect((await get(`/api/runs/${runId}/stream?speed=fast`)).status).toBe(400);
  });

  it('streams a run of this process live, as its events happen', async () => {
    const live = new LiveRuns();
    const events = new EventStream();
    live.add('live-1', { events });
    const app = createViewerApp({ store: () => undefined, live });
    const response = await app.request('http://127.0.0.1/api/runs/live-1/stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const event = (i: number): CrosstalkEvent => ({
      type: 'step-finished',
      runId: 'live-1',
      at: i,
      step: { kind: 'node', id: `n${i}` },
    });
    let text = '';
    for (let i = 1; i <= 3; i++) {
      events.push(event(i));
      // each event is readable before the next one happens
      while (!text.includes(`"n${i}"`)) text += decoder.decode((await reader.read()).value);
    }
    events.close();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    const { data, names } = parseSse(text);
    expect(data).toEqual([event(1), event(2), event(3)]);
    expect(names).toEqual(['end']);
  });
});

describe('viewer API over a cross-team run', () => {
  it('lists the segments in order and each team’s phases in them, with the decisions', async () => {
    const cwd = tempDir('crosstalk-serve-');
    const runId = await recordRun(
      ['story', 'A lighthouse keeper.', '--teams', '3', '--prune', '2', '--prune-above', '2', '--model', 'sim'],
      cwd,
    );
    const store = new SqliteRunStore(storeIn(cwd), { readOnly: true });
    onTestFinished(() => store.close());
    const app = createViewerApp({ store: () => store });
    const detail = (await (await app.request(`http://127.0.0.1/api/runs/${runId}`)).json()) as {
      segments: string[];
      teams: string[];
      teamSteps: Array<{ team: string; phase: string; segment: string; state: string }>;
      decisions: Array<{ point: string; kept: string[]; pruned: Array<{ team: string }> }>;
    };
    expect(detail.segments).toEqual(['outline', 'draft', 'revise']);
    expect(detail.teams).toEqual(['team1', 'team2', 'team3']);
    expect(detail.teamSteps).toHaveLength(9);
    expect(detail.teamSteps.every((s) => s.state === 'done' && s.segment === s.phase)).toBe(true);
    expect(detail.decisions.map((d) => [d.point, d.kept.length, d.pruned.length])).toEqual([
      ['outline', 2, 1],
      ['draft', 2, 1],
      ['revise', 2, 1],
    ]);
    const calls = (await (
      await app.request(`http://127.0.0.1/api/runs/${runId}/calls?scope=outline%2Fteam1`)
    ).json()) as {
      calls: Array<{ agent: string }>;
    };
    expect(calls.calls.map((c) => c.agent)).toContain('team1/writer');
    expect(calls.calls.every((c) => c.agent?.startsWith('team1/'))).toBe(true);
  });
});

describe('viewer API over runs of other processes, and control', () => {
  it('follows a run that another connection is writing, until it finishes', async () => {
    const path = join(tempDir('crosstalk-serve-'), 'runs.db');
    const writer = new SqliteRunStore(path);
    onTestFinished(() => writer.close());
    const session = RunSession.start(writer, { kind: 'net', task: 'follow me', config: {} });
    session.begin({ model: 'sim', simulated: true });
    const reader = new SqliteRunStore(path, { readOnly: true });
    onTestFinished(() => reader.close());
    const app = createViewerApp({ store: () => reader, pollMs: 5 });
    const response = await app.request(`http://127.0.0.1/api/runs/${session.id}/stream`);
    const stream = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const chunk = await stream.read();
        if (chunk.done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(chunk.value);
      }
    };
    await readUntil('"run-started"');
    session.emit({ type: 'step-started', step: { kind: 'node', id: 'n1' }, attempt: 1 });
    await readUntil('"step-started"');
    session.emit({ type: 'step-finished', step: { kind: 'node', id: 'n1' } });
    session.finish('completed', {});
    for (;;) {
      const chunk = await stream.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    const { data, names } = parseSse(text);
    expect(data.map((e) => (e as { type: string }).type)).toEqual([
      'run-started',
      'step-started',
      'step-finished',
      'run-finished',
    ]);
    expect(names).toEqual(['end']);
  });

  it('stops a run of this process only when control is allowed', async () => {
    const live = new LiveRuns();
    const reasons: unknown[] = [];
    live.add('live-2', { events: new EventStream(), abort: (reason) => reasons.push(reason) });
    const post = (allowControl: boolean, id = 'live-2') =>
      createViewerApp({ store: () => undefined, live, allowControl }).request(
        `http://127.0.0.1/api/runs/${id}/cancel`,
        { method: 'POST' },
      );
    expect((await post(false)).status).toBe(403);
    expect(reasons).toEqual([]);
    expect((await post(true, 'not-live')).status).toBe(409);
    expect((await post(true)).status).toBe(202);
    expect(reasons).toHaveLength(1);
  });
});

describe('resuming a run from the viewer', () => {
  it('resumes a stopped run with a new budget only under --allow-control, as JSON, and streams it', async () => {
    const cwd = tempDir('crosstalk-serve-');
    const runId = await recordBudgetStoppedRun(cwd);
    const readOnly = await serveStore(cwd);
    const post = (base: string, path: string, body: unknown, type = 'application/json') =>
      fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });
    expect((await post(readOnly.url, `/api/runs/${runId}/resume`, {})).status).toBe(403);

    const viewer = await serveStore(cwd, { allowControl: true });
    const status = async () => (await runPageData(viewer.url, runId)).detail.run.status;
    expect(await status()).toBe('stopped-budget');
    expect((await post(viewer.url, `/api/runs/${runId}/resume`, { maxTokens: 'lots' })).status).toBe(400);
    expect((await post(viewer.url, `/api/runs/${runId}/resume`, { budget: 1 })).status).toBe(400);
    expect((await post(viewer.url, `/api/runs/${runId}/resume`, {}, 'text/plain')).status).toBe(415);
    expect((await post(viewer.url, '/api/runs/nope/resume', {})).status).toBe(404);

    const resumed = await post(viewer.url, `/api/runs/${runId}/resume`, { maxTokens: 100_000 });
    expect(resumed.status).toBe(202);
    // its events stream (live from this process while it runs): the first session's, then the resumed one's
    const stream = await (await fetch(new URL(`/api/runs/${runId}/stream`, viewer.url))).text();
    const { data, names } = parseSse(stream);
    expect(names).toEqual(['end']);
    const ends = data.filter((e) => (e as { type: string }).type === 'run-finished') as Array<{ status: string }>;
    expect(ends.map((e) => e.status)).toEqual(['stopped-budget', 'completed']);
    await expect.poll(status, { timeout: 10_000 }).toBe('completed');
    // a completed run cannot be resumed
    const again = await post(viewer.url, `/api/runs/${runId}/resume`, { maxTokens: 100_000 });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('RUN_COMPLETED');
  });
});

describe('a resumed run followed live', () => {
  it('marks a step the resumed session answers wholly from the journal replayed as it finishes', async () => {
    const cwd = tempDir('crosstalk-serve-');
    const runId = await storedNetRun(cwd, 4);
    // as if the process died after the last node's calls were journaled, before the node was marked done
    const writer = new SqliteRunStore(storeIn(cwd));
    const steps = writer.getSteps(runId);
    const last = steps.find((s) => s.id === 'n3')!;
    writer.putStep(runId, { ...last, state: 'running', outputHash: null });
    writer.updateRun(runId, { status: 'interrupted', finishedAt: null });
    writer.close();

    const viewer = await serveStore(cwd, { allowControl: true });
    const resumed = await fetch(new URL(`/api/runs/${runId}/resume`, viewer.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(resumed.status).toBe(202);
    // the live stream (the run executes in the viewer's process) says so when the step finishes, before the run ends
    const { data } = parseSse(await (await fetch(new URL(`/api/runs/${runId}/stream`, viewer.url))).text());
    const events = data as Array<{ type: string; step?: { id: string }; replayed?: boolean; status?: string }>;
    const finished = events.filter((e) => e.type === 'step-finished');
    const again = finished.filter((e) => e.step?.id === 'n3');
    expect(again.at(-1)?.replayed).toBe(true);
    expect(events.findIndex((e) => e === again.at(-1))).toBeLessThan(
      events.findLastIndex((e) => e.type === 'run-finished'),
    );
    // the steps of the first session were paid for: none is marked
    expect(finished.filter((e) => e.replayed).map((e) => e.step?.id)).toEqual(['n3']);
    // and the finished run's page agrees
    const { detail } = await runPageData(viewer.url, runId);
    expect(detail.steps.find((s) => s.id === 'n3')?.state).toBe('replayed');
  });
});

describe('startViewer and crosstalk serve', () => {
  it('refuses an address reachable from elsewhere without a token, and a bad port', async () => {
    await expect(startViewer({ storePath: 'x.db', host: '0.0.0.0' })).rejects.toSatisfy(ConfigError.isInstance);
    await expect(startViewer({ storePath: 'x.db', port: 70000 })).rejects.toSatisfy(ConfigError.isInstance);
    const bad = await runInProcess(['serve', '--host', '0.0.0.0'], { cwd: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--token/);
  });

  it('serves a store on 127.0.0.1 and prints its address, until stopped', async () => {
    const cwd = tempDir('crosstalk-serve-');
    const runId = await storedNetRun(cwd, 2);
    const controller = new AbortController();
    let url: string | undefined;
    const ready = new Promise<void>((resolve) => {
      const done = runInProcess(['serve'], {
        cwd,
        signal: controller.signal,
        onStderr: (soFar) => {
          const match = /viewer at (\S+)/.exec(soFar);
          if (match && !url) {
            url = match[1]!;
            resolve();
          }
        },
      });
      onTestFinished(async () => {
        controller.abort();
        await done;
      });
    });
    await ready;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const listed = await (await fetch(new URL('/api/runs', url))).json();
    expect((listed as { runs: Array<{ id: string }> }).runs.map((r) => r.id)).toEqual([runId]);
  });

  it('story --serve prints the run page and keeps serving it after the run ends, until stopped', async () => {
    const cwd = tempDir('crosstalk-serve-');
    const controller = new AbortController();
    let runUrl: string | undefined;
    const open = new Promise<void>((resolve) => {
      const done = runInProcess(['story', 'A lighthouse keeper.', '--teams', '2', '--model', 'sim', '--serve'], {
        cwd,
        signal: controller.signal,
        onStderr: (soFar) => {
          runUrl ??= /run \S+ at (\S+)/.exec(soFar)?.[1];
          if (soFar.includes('the viewer stays open')) resolve();
        },
      });
      onTestFinished(async () => {
        controller.abort();
        await done;
      });
    });
    await open;
    expect(runUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/runs\/\S+$/);
    const runId = decodeURIComponent(runUrl!.split('#/runs/')[1]!);
    const { detail } = await runPageData(runUrl!, runId);
    expect(detail.run.status).toBe('completed');
    expect(detail.teams).toEqual(['team1', 'team2']);
  });
});
