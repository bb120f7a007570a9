import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../store/index.js';
import { processStartTicks } from '../common/index.js';
import { currentOwner, ownerState, runOwner } from './run-owner.js';
import { RunSession } from './run-session.js';

describe('run owners', () => {
  it('records the process of each session and tells a live process from a gone one', () => {
    const store = new SqliteRunStore(':memory:');
    const session = RunSession.start(store, { kind: 'net', task: 't', config: {} });
    session.begin({ model: 'sim', simulated: true });
    const owner = runOwner(store, session.id);
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(ownerState(owner)).toBe('alive');
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    expect(ownerState({ pid: exited, host: hostname() })).toBe('gone');
    expect(ownerState({ pid: exited, host: `not-${hostname()}` })).toBe('unknown');
    expect(ownerState(undefined)).toBe('unknown');
    store.close();
  });

  it('lets a session resume a run whose process is gone, and records the new owner', () => {
    const store = new SqliteRunStore(':memory:');
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    store.appendEvent(run.id, 'run-started', { owner: { pid: gone, host: hostname() } });
    const resumed = RunSession.resume(store, run.id);
    resumed.begin({ model: 'sim', simulated: true });
    expect(resumed.run.status).toBe('running');
    expect(runOwner(store, run.id)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(store.lastEvent(run.id)).toMatchObject({
      type: 'run-started',
      data: { resumed: true, kind: 'net', model: 'sim' },
    });
    store.close();
  });

  it.runIf(process.platform === 'linux')(
    "treats a live process that reused the owner's pid as a different process",
    () => {
      const started = processStartTicks(process.pid)!;
      expect(currentOwner()).toEqual({ pid: process.pid, host: hostname(), startTicks: started });
      expect(ownerState({ pid: process.pid, host: hostname(), startTicks: started })).toBe('alive');
      // the same pid with another start time: the recorded owner died and its pid went to this process
      expect(ownerState({ pid: process.pid, host: hostname(), startTicks: started + 1 })).toBe('gone');
      // records written before start times were kept still count a live pid as alive
      expect(ownerState({ pid: process.pid, host: hostname() })).toBe('alive');
      const store = new SqliteRunStore(':memory:');
      const run = store.createRun({ kind: 'net', task: 't', config: {} });
      store.appendEvent(run.id, 'run-started', {
        owner: { pid: process.pid, host: hostname(), startTicks: started + 1 },
      });
      const resumed = RunSession.resume(store, run.id);
      resumed.begin({ model: 'sim', simulated: true });
      expect(resumed.run.status).toBe('running');
      store.close();
    },
  );
});
