import { useEffect, useState } from 'react';
import { embeddedRunId } from './data';
import { RunPage } from './run-page';
import { RunsList } from './runs-list';

/** The route of the page's hash: `#/runs/<id>` is a run page; anything else the runs list. */
function route(): { runId?: string } {
  const match = /^#\/runs\/(.+)$/.exec(window.location.hash);
  if (match) return { runId: decodeURIComponent(match[1]!) };
  return embeddedRunId ? { runId: embeddedRunId } : {};
}

export function App() {
  const [current, setCurrent] = useState(route);
  useEffect(() => {
    const onHash = () => setCurrent(route());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <div className="app">
      <header className="top">
        <a href="#/" className="brand">
          crosstalk
        </a>
        <span className="sub">viewer</span>
      </header>
      {current.runId ? <RunPage key={current.runId} runId={current.runId} /> : <RunsList />}
    </div>
  );
}
