import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { positionAt, replayTimes, statesAt } from '../../src/serve/replay';
import { data } from './data';
import type { StepState, StoredEventView as StoredEvent } from '../../src/serve/view-types';

/** Replay speeds offered, × the recorded pace (gaps capped at 2 s). */
export const replaySpeeds = [1, 10, 100];

/** A finished run's replay: its stored events, the position in them, playing or paused, and the speed. */
export interface Replay {
  events: StoredEvent[];
  times: Float64Array;
  position: number;
  playing: boolean;
  speed: number;
}

/**
 * Replays a finished run's stored events: play, pause, speed and a slider over the event sequence; node states
 * follow the position. `states` is undefined until a replay starts (the page then shows the run as it ended).
 */
export function useReplay(runId: string, stepIds: readonly string[]) {
  const [replay, setReplay] = useState<Replay | undefined>();
  const clock = useRef<{ wall: number; at: number } | undefined>(undefined);
  const initial = useMemo(() => new Map(stepIds.map((id) => [id, 'waiting'])), [stepIds]);

  const start = useCallback(
    async (speed: number) => {
      const events = replay?.events ?? (await data.events(runId));
      clock.current = undefined;
      setReplay({ events, times: replayTimes(events), position: 0, playing: true, speed });
    },
    [runId, replay],
  );

  // while playing, advance the position by the replay clock ten times a second; the clock restarts when play
  // starts (changing the speed or the position pauses)
  const latest = useRef(replay);
  latest.current = replay;
  const playing = replay?.playing ?? false;
  useEffect(() => {
    const r = latest.current;
    if (!playing || !r) return;
    clock.current = { wall: performance.now(), at: r.position > 0 ? r.times[r.position - 1]! : -1 };
    const timer = window.setInterval(() => {
      setReplay((r) => {
        if (!r?.playing || !clock.current) return r;
        const now = clock.current.at + (performance.now() - clock.current.wall) * r.speed;
        const position = positionAt(r.times, now, r.position);
        const ended = position >= r.events.length;
        if (position === r.position && !ended) return r;
        return { ...r, position, playing: !ended };
      });
    }, 100);
    return () => clearInterval(timer);
  }, [playing]);

  const events = replay?.events;
  const position = replay?.position ?? 0;
  const states = useMemo(
    () => (events ? (statesAt(events, position, initial) as Map<string, StepState>) : undefined),
    [events, position, initial],
  );

  const controls = {
    replay,
    start,
    pause: () => setReplay((r) => (r ? { ...r, playing: false } : r)),
    resume: () =>
      setReplay((r) => (r ? { ...r, playing: true, position: r.position >= r.events.length ? 0 : r.position } : r)),
    seek: (position: number) => setReplay((r) => (r ? { ...r, position, playing: false } : r)),
    speed: (speed: number) => setReplay((r) => (r ? { ...r, speed, playing: false } : r)),
    exit: () => setReplay(undefined),
  };
  return { states, controls };
}

/** The replay controls: start at a speed; then play/pause, the speed, a slider over the events and what is shown. */
export function ReplayBar({ controls }: { controls: ReturnType<typeof useReplay>['controls'] }) {
  const { replay } = controls;
  const [loading, setLoading] = useState(false);
  if (!replay)
    return (
      <div className="replay" data-testid="replay">
        replay:{' '}
        {replaySpeeds.map((s) => (
          <button
            type="button"
            key={s}
            disabled={loading}
            data-testid={`replay-${s}x`}
            onClick={() => {
              setLoading(true);
              controls.start(s).finally(() => setLoading(false));
            }}
          >
            {s}×
          </button>
        ))}
      </div>
    );
  const current = replay.position > 0 ? replay.events[replay.position - 1] : undefined;
  const stepId = (current?.step as { id?: string } | undefined)?.id;
  return (
    <div className="replay replaying" data-testid="replay">
      {replay.playing ? (
        <button type="button" data-testid="replay-pause" onClick={controls.pause}>
          pause
        </button>
      ) : (
        <button type="button" data-testid="replay-play" onClick={controls.resume}>
          play
        </button>
      )}
      <select
        data-testid="replay-speed"
        value={replay.speed}
        onChange={(e) => controls.speed(Number(e.currentTarget.value))}
        aria-label="speed"
      >
        {replaySpeeds.map((s) => (
          <option key={s} value={s}>
            {s}×
          </option>
        ))}
      </select>
      <input
        type="range"
        className="scrub"
        data-testid="replay-slider"
        aria-label="position in the run's events"
        min={0}
        max={replay.events.length}
        step={1}
        value={replay.position}
        onChange={(e) => controls.seek(Number(e.currentTarget.value))}
      />
      <span className="replay-at" data-testid="replay-position">
        {replay.position} / {replay.events.length} events
        {current ? ` · ${current.type}${stepId ? ` ${stepId}` : ''}` : ''}
      </span>
      <button type="button" onClick={controls.exit} data-testid="replay-exit">
        end replay
      </button>
    </div>
  );
}
