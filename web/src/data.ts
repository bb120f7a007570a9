import { expandDetail } from '../../src/serve/detail-wire';
import { groupNodeDialogue, type NodeDialogue } from '../../src/serve/dialogue';
import type {
  CallView,
  EmbeddedRun,
  RunDetail,
  RunDetailWire,
  RunSummary,
  RunUsage,
  StepDetail,
  StoredEventView as StoredEvent,
} from '../../src/serve/view-types';

/** Where the viewer's data comes from: the server's API, or the run embedded in an exported HTML file. */
export interface DataSource {
  readonly embedded: boolean;
  runs(filter: Record<string, string>): Promise<RunSummary[]>;
  run(id: string): Promise<RunDetail>;
  /** One step with its stored meta (errors, skip reasons), for the node panel. */
  step(id: string, step: string): Promise<StepDetail | undefined>;
  calls(id: string, scope: string): Promise<CallView[]>;
  usage(id: string): Promise<RunUsage>;
  /** Every journaled call of a run. */
  allCalls(id: string): Promise<CallView[]>;
  /** The run's stored events, in order (only those of the given types, when some are). */
  events(id: string, types?: readonly string[]): Promise<StoredEvent[]>;
  /** A network node's calls grouped by incoming edge, merges apart. */
  dialogue(id: string, node: string): Promise<NodeDialogue<CallView>>;
  artifact(id: string, step: string): Promise<string | undefined>;
  /** Resumes a stopped run with new limits (a server started with `--allow-control`); rejects with its message. */
  resume(id: string, limits: { budgetUsd?: number; maxTokens?: number }): Promise<void>;
  /** Streams a run's events from its start (at `speed` times the recorded pace if given); returns a stop function. */
  stream(id: string, speed: number | undefined, onEvent: (e: StoredEvent) => void, onEnd: () => void): () => void;
}

async function getJson<T>(path: string, started?: Promise<Response>): Promise<T> {
  const response = await (started ?? fetch(path, { headers: { accept: 'application/json' } }));
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return (await response.json()) as T;
}

declare global {
  interface Window {
    /** The run page's data, asked for by web/public/prefetch.js before this script ran. */
    crosstalkPrefetch?: { id: string; response: Promise<Response> };
  }
}

/** The answer prefetch.js started for run `id`, taken once (later reads ask again: the run may have changed). */
function prefetched(id: string): Promise<Response> | undefined {
  const started = window.crosstalkPrefetch;
  if (started?.id !== id) return undefined;
  window.crosstalkPrefetch = undefined;
  return started.response;
}

const serverSource: DataSource = {
  embedded: false,
  async runs(filter) {
    const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
    return (await getJson<{ runs: RunSummary[] }>(`api/runs?${query}`)).runs;
  },
  run: async (id) => expandDetail(await getJson<RunDetailWire>(`api/runs/${encodeURIComponent(id)}`, prefetched(id))),
  async step(id, step) {
    const response = await fetch(`api/runs/${encodeURIComponent(id)}/step?step=${encodeURIComponent(step)}`);
    if (!response.ok) return undefined;
    return ((await response.json()) as { step: StepDetail }).step;
  },
  async calls(id, scope) {
    const path = `api/runs/${encodeURIComponent(id)}/calls?scope=${encodeURIComponent(scope)}`;
    return (await getJson<{ calls: CallView[] }>(path)).calls;
  },
  usage: (id) => getJson<RunUsage>(`api/runs/${encodeURIComponent(id)}/usage`),
  allCalls: async (id) => (await getJson<{ calls: CallView[] }>(`api/runs/${encodeURIComponent(id)}/calls`)).calls,
  events: async (id, types) => {
    const only = types?.length ? `&type=${encodeURIComponent(types.join(','))}` : '';
    const path = `api/runs/${encodeURIComponent(id)}/events?limit=1000000${only}`;
    return (await getJson<{ events: StoredEvent[] }>(path)).events;
  },
  dialogue: (id, node) =>
    getJson<NodeDialogue<CallView>>(`api/runs/${encodeURIComponent(id)}/dialogue?node=${encodeURIComponent(node)}`),
  async artifact(id, step) {
    const response = await fetch(`api/runs/${encodeURIComponent(id)}/artifact?step=${encodeURIComponent(step)}`);
    if (!response.ok) return undefined;
    return ((await response.json()) as { content: string }).content;
  },
  async resume(id, limits) {
    const response = await fetch(`api/runs/${encodeURIComponent(id)}/resume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(limits),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
    }
  },
  stream(id, speed, onEvent, onEnd) {
    const source = new EventSource(
      `api/runs/${encodeURIComponent(id)}/stream${speed !== undefined ? `?speed=${speed}` : ''}`,
    );
    source.onmessage = (message) => onEvent(JSON.parse(message.data as string) as StoredEvent);
    source.addEventListener('end', () => {
      source.close();
      onEnd();
    });
    return () => source.close();
  },
};

function embeddedSource(data: EmbeddedRun): DataSource {
  const detail = expandDetail(data.detail);
  return {
    embedded: true,
    runs: async () => [detail.run],
    run: async () => detail,
    step: async (_id, step) => {
      const view = detail.steps.find((s) => s.id === step);
      return view && { ...view, meta: data.meta[step] ?? null, updatedAt: null };
    },
    calls: async (_id, scope) => data.calls.filter((c) => c.scope === scope),
    usage: async () => data.usage,
    allCalls: async () => data.calls,
    events: async (_id, types) => (types?.length ? data.events.filter((e) => types.includes(e.type)) : data.events),
    async dialogue(_id, node) {
      const from = (detail.graph?.edges ?? []).filter((e) => e.to === node).map((e) => e.from);
      const predecessors = new Map(
        from.flatMap((p) => (data.artifacts[p] !== undefined ? [[p, data.artifacts[p]!]] : [])),
      );
      return groupNodeDialogue(
        data.calls.filter((c) => c.scope === node),
        predecessors,
      );
    },
    artifact: async (_id, step) => data.artifacts[step],
    resume: async () => {
      throw new Error('an exported page cannot resume its run');
    },
    stream(_id, speed, onEvent, onEnd) {
      let stopped = false;
      const timers: number[] = [];
      (async () => {
        let previous: number | undefined;
        for (const event of data.events) {
          if (stopped) return;
          if (speed !== undefined && previous !== undefined) {
            const wait = Math.min(2000, Math.max(0, event.at - previous) / speed);
            if (wait > 0) await new Promise((resolve) => timers.push(window.setTimeout(resolve, wait)));
          }
          previous = event.at;
          if (!stopped) onEvent(event);
        }
        if (!stopped) onEnd();
      })();
      return () => {
        stopped = true;
        for (const t of timers) clearTimeout(t);
      };
    },
  };
}

/** The run embedded in this page (an exported HTML file), if any. */
function embeddedRun(): EmbeddedRun | undefined {
  const element = document.getElementById('crosstalk-data');
  if (!element?.textContent) return undefined;
  return JSON.parse(element.textContent) as EmbeddedRun;
}

const embedded = embeddedRun();

/** The page's data source. */
export const data: DataSource = embedded ? embeddedSource(embedded) : serverSource;
/** The embedded run's id, when the page is an exported file. */
export const embeddedRunId: string | undefined = embedded?.detail.run.id;
