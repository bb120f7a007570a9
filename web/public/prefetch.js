// Starts reading a run page's data as soon as the page loads, while the viewer's script is still being fetched,
// parsed and run (this small classic script runs at once); the script then takes the answer (web/src/data.ts).
(() => {
  const match = /^#\/runs\/(.+)$/.exec(window.location.hash);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  const response = fetch(`api/runs/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } });
  response.catch(() => {});
  window.crosstalkPrefetch = { id, response };
})();
