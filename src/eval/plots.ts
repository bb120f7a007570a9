import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

/** A Vega-Lite specification (kept loose: it is built here and checked by the compiler). */
export type ChartSpec = Record<string, unknown>;

/** Renders a Vega-Lite spec to SVG text (no browser: Vega's headless view). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const compiled = vegaLite.compile(spec as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG (resvg, with the system's fonts for labels). */
export function svgToPng(svg: string, width = 1200): Buffer {
  return new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'width', value: width } }).render().asPng();
}

/** One measured cell of a sweep, as the plots read it. */
export interface PlotPoint {
  series: string;
  agents: number;
  quality: number;
  tokens: number;
  costUsd: number;
}

/** One fitted curve: quality at each agent count of a series. */
export interface CurvePoint {
  series: string;
  agents: number;
  quality: number;
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 480, height: 300 };
const agentsAxis = {
  field: 'agents',
  type: 'quantitative',
  scale: { type: 'log', base: 2 },
  axis: { title: 'agents (log₂)' },
};

/** Quality against agents per topology: measured points and the fitted scaling-law curves. */
export function qualityChart(points: readonly PlotPoint[], curves: readonly CurvePoint[], metric: string): ChartSpec {
  return {
    ...base,
    title: `${metric} against agents`,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true },
        encoding: {
          x: agentsAxis,
          y: { field: 'quality', type: 'quantitative', axis: { title: metric } },
          color: { field: 'series', type: 'nominal', title: 'topology' },
        },
      },
      {
        data: { values: curves },
        mark: { type: 'line' },
        encoding: {
          x: agentsAxis,
          y: { field: 'quality', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: 'topology' },
        },
      },
    ],
  };
}

/** Tokens against agents per topology. */
export function tokensChart(points: readonly PlotPoint[]): ChartSpec {
  return {
    ...base,
    title: 'tokens against agents',
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: agentsAxis,
      y: { field: 'tokens', type: 'quantitative', axis: { title: 'tokens per task' } },
      color: { field: 'series', type: 'nominal', title: 'topology' },
    },
  };
}

/** The Pareto front of cost against quality: no other cell is both cheaper and at least as good. */
export function paretoFront<T extends { costUsd: number; quality: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.costUsd - b.costUsd || b.quality - a.quality);
  const front: T[] = [];
  for (const p of sorted) if (front.length === 0 || p.quality > front.at(-1)!.quality) front.push(p);
  return front;
}

/** Cost against quality, every cell, with the Pareto front drawn as a line. */
export function costQualityChart(points: readonly PlotPoint[], metric: string): ChartSpec {
  return {
    ...base,
    title: `cost against ${metric} (line: Pareto front)`,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'costUsd', type: 'quantitative', axis: { title: 'cost per task (USD)' } },
          y: { field: 'quality', type: 'quantitative', axis: { title: metric } },
          color: { field: 'series', type: 'nominal', title: 'topology' },
        },
      },
      {
        data: { values: paretoFront(points) },
        mark: { type: 'line', color: 'black', strokeDash: [4, 3] },
        encoding: {
          x: { field: 'costUsd', type: 'quantitative' },
          y: { field: 'quality', type: 'quantitative' },
        },
      },
    ],
  };
}
