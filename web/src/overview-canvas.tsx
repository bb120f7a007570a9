import { useEffect, useMemo, useRef, useState } from 'react';
import { criticColour, gridLayout, nodeSize } from './layout';
import type { GraphView, StepState } from '../../src/serve/view-types';

const stateColour: Record<StepState, string> = {
  waiting: '#cbd5e1',
  pending: '#cbd5e1',
  running: '#3b82f6',
  done: '#22c55e',
  failed: '#ef4444',
  skipped: '#eab308',
  replayed: '#a855f7',
};

type View = { x: number; y: number; k: number };

/**
 * A large network drawn on one canvas: every node a coloured square by state, edges by critic, labels once zoomed
 * in. Drawing a thousand nodes this way takes milliseconds, where a thousand interactive elements take seconds;
 * wheel zooms, dragging pans, a click opens a node.
 */
export function OverviewCanvas(props: {
  graph: GraphView;
  states: ReadonlyMap<string, StepState>;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const { graph, states, selected, onSelect } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const positions = useMemo(() => gridLayout(graph), [graph]);
  const { width, height } = nodeSize.compact;
  const bounds = useMemo(() => {
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (const p of positions.values()) {
      minX = Math.min(minX, p.x);
      minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x + width);
      maxY = Math.max(maxY, p.y + height);
    }
    return { minX, minY, maxX, maxY };
  }, [positions, width, height]);
  const [view, setView] = useState<View | undefined>();
  // the canvas is redrawn when its box changes size (the node panel opening beside it)
  const [size, setSize] = useState(0);
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setSize((n) => n + 1));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const drag = useRef<{ x: number; y: number; moved: boolean } | undefined>(undefined);

  const fit = () => {
    const element = canvas.current;
    if (!element) return;
    const w = element.clientWidth;
    const h = element.clientHeight;
    const k = Math.min(w / (bounds.maxX - bounds.minX + 40), h / (bounds.maxY - bounds.minY + 40));
    setView({ k, x: (w - (bounds.maxX - bounds.minX) * k) / 2 - bounds.minX * k, y: 20 - bounds.minY * k });
  };
  useEffect(fit, [bounds]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `size` changes when the box is resized: draw again
  useEffect(() => {
    const element = canvas.current;
    if (!element || !view) return;
    const frame = requestAnimationFrame(() => {
      const ratio = window.devicePixelRatio || 1;
      const w = element.clientWidth;
      const h = element.clientHeight;
      if (element.width !== w * ratio || element.height !== h * ratio) {
        element.width = w * ratio;
        element.height = h * ratio;
      }
      const g = element.getContext('2d')!;
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, w, h);
      g.setTransform(ratio * view.k, 0, 0, ratio * view.k, ratio * view.x, ratio * view.y);
      g.lineWidth = 0.8 / view.k;
      g.globalAlpha = view.k < 0.3 ? 0.25 : 0.6;
      for (const e of graph.edges) {
        const a = positions.get(e.from);
        const b = positions.get(e.to);
        if (!a || !b) continue;
        g.strokeStyle = criticColour(e.critic);
        g.beginPath();
        g.moveTo(a.x + width / 2, a.y + height);
        g.lineTo(b.x + width / 2, b.y);
        g.stroke();
      }
      g.globalAlpha = 1;
      for (const n of graph.nodes) {
        const p = positions.get(n.id)!;
        g.fillStyle = stateColour[states.get(n.id) ?? 'waiting'];
        g.fillRect(p.x, p.y, width, height);
      }
      if (selected && positions.has(selected)) {
        const p = positions.get(selected)!;
        g.strokeStyle = '#f97316';
        g.lineWidth = 3 / view.k;
        g.strokeRect(p.x - 2, p.y - 2, width + 4, height + 4);
      }
      if (view.k > 1.2) {
        g.fillStyle = '#0f172a';
        g.font = '6px system-ui, sans-serif';
        for (const n of graph.nodes) {
          const p = positions.get(n.id)!;
          g.fillText(n.id, p.x, p.y - 2, width * 2);
        }
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [graph, positions, states, selected, view, width, height, size]);

  const toGraph = (event: { clientX: number; clientY: number }) => {
    const rect = canvas.current!.getBoundingClientRect();
    return { x: (event.clientX - rect.left - view!.x) / view!.k, y: (event.clientY - rect.top - view!.y) / view!.k };
  };
  const nodeAt = (event: { clientX: number; clientY: number }) => {
    const { x, y } = toGraph(event);
    const slack = Math.max(2, 4 / view!.k);
    for (const n of graph.nodes) {
      const p = positions.get(n.id)!;
      if (x >= p.x - slack && x <= p.x + width + slack && y >= p.y - slack && y <= p.y + height + slack) return n.id;
    }
    return undefined;
  };

  return (
    <div className="canvas overview" data-testid="graph-overview">
      <canvas
        ref={canvas}
        onWheel={(event) => {
          if (!view) return;
          const rect = canvas.current!.getBoundingClientRect();
          const factor = Math.exp(-event.deltaY * 0.0015);
          const k = Math.min(8, Math.max(0.02, view.k * factor));
          const px = event.clientX - rect.left;
          const py = event.clientY - rect.top;
          setView({ k, x: px - ((px - view.x) * k) / view.k, y: py - ((py - view.y) * k) / view.k });
        }}
        onPointerDown={(event) => {
          drag.current = { x: event.clientX, y: event.clientY, moved: false };
        }}
        onPointerMove={(event) => {
          const d = drag.current;
          if (!d || !view) return;
          const dx = event.clientX - d.x;
          const dy = event.clientY - d.y;
          if (!d.moved && Math.hypot(dx, dy) < 4) return;
          d.moved = true;
          d.x = event.clientX;
          d.y = event.clientY;
          setView({ ...view, x: view.x + dx, y: view.y + dy });
        }}
        onPointerUp={(event) => {
          const d = drag.current;
          drag.current = undefined;
          if (d && !d.moved && view) {
            const id = nodeAt(event);
            if (id) onSelect(id);
          }
        }}
      />
      <div className="hint">
        {graph.nodes.length} nodes drawn as an overview: wheel to zoom, drag to pan, click a node{' '}
        <button type="button" onClick={fit}>
          fit
        </button>
      </div>
    </div>
  );
}
