/**
 * Charts for the monthly and quarterly KPI reports, declared with Vega-Lite and drawn to PNG
 * offline: Vega-Lite → Vega → SVG (Vega's headless renderer) → PNG (resvg, with the fonts from
 * fonts.ts, so Chinese and English labels both show). Nothing is loaded from the network: the data
 * is inline and Vega's loader refuses every URL.
 */
import type * as VegaModule from 'vega';
import type * as VegaLiteModule from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { chartFonts, type ChartFonts } from './fonts.js';

export type VegaLiteSpec = TopLevelSpec;

/** Bars per category; with `series`, one bar per series side by side (or stacked) in each category. */
export interface BarChart {
  title: string;
  /** Axis titles. */
  x: string;
  y: string;
  /** Legend title; bars are split by `rows[].series` when given. */
  series?: string;
  /** Series stacked in one bar per category (with its total on top) instead of side by side. */
  stacked?: boolean;
  /** In the order they are drawn. */
  rows: { label: string; value: number; series?: string }[];
}

/** A trend over periods in the order given: two periods or many points, one line per series. */
export interface LineChart {
  title: string;
  x: string;
  y: string;
  series?: string;
  points: { label: string; value: number; series?: string }[];
}

export interface RenderOptions {
  /** Width of the whole chart in CSS pixels, axes and legend included; the PNG is width × scale pixels wide. */
  width?: number;
  /** Pixels per CSS pixel: 2 keeps text crisp when a report is zoomed or printed. */
  scale?: number;
  /** The fonts to draw with; chartFonts() when not given. */
  fonts?: ChartFonts;
}

/** Fits about 20 categories with angled labels. */
export const DEFAULT_WIDTH = 960;
const HEIGHT = 440;
export const DEFAULT_SCALE = 2;
/** Value labels on more points than this would overlap each other. */
const MAX_LABELLED_POINTS = 24;
const LABEL_FORMAT = ',.2~f';

export function barChartSpec(chart: BarChart): VegaLiteSpec {
  const split = chart.series !== undefined;
  const x = { field: 'label', type: 'nominal', sort: null, title: chart.x, axis: categoryAxis(chart.rows, DEFAULT_WIDTH), scale: bandPadding(chart.rows) } as const;
  const y = { field: 'value', type: 'quantitative', title: chart.y, axis: valueAxis(chart.rows), stack: split && chart.stacked ? 'zero' : null } as const;
  const color = split ? { color: { field: 'series', type: 'nominal', sort: null, title: chart.series } } as const : {};
  const grouped = split && !chart.stacked ? { xOffset: { field: 'series', type: 'nominal', sort: null } } as const : {};
  const text = { field: 'value', type: 'quantitative', format: LABEL_FORMAT } as const;
  const layer: VegaLiteLayers = [{ mark: { type: 'bar', tooltip: false }, encoding: { ...color, ...grouped } }];
  if (split && chart.stacked) {
    // Each segment's value in its middle where the segment is tall enough for it, the total on top.
    layer.push({
      mark: { type: 'text', color: 'white', fontSize: 11 },
      encoding: {
        y: { ...y, bandPosition: 0.5 },
        detail: { field: 'series' },
        text: { condition: { test: `datum.value >= ${minLabelledSegment(chart.rows)}`, ...text }, value: '' },
      },
    });
    layer.push({
      transform: [{ aggregate: [{ op: 'sum', field: 'value', as: 'value' }], groupby: ['label'] }],
      mark: { type: 'text', baseline: 'bottom', dy: -4, fontSize: 11 },
      encoding: { text },
    });
  } else {
    layer.push({ mark: { type: 'text', baseline: 'bottom', dy: -4, fontSize: 11 }, encoding: { ...grouped, text } });
  }
  return { ...frame(chart.title, chart.rows), encoding: { x, y }, layer };
}

export function lineChartSpec(chart: LineChart): VegaLiteSpec {
  const x = { field: 'label', type: 'ordinal', sort: null, title: chart.x, axis: categoryAxis(chart.points, DEFAULT_WIDTH) } as const;
  const y = { field: 'value', type: 'quantitative', title: chart.y, axis: valueAxis(chart.points) } as const;
  const color = chart.series !== undefined ? { color: { field: 'series', type: 'nominal', sort: null, title: chart.series } } as const : {};
  const perSeries = new Map<string | undefined, number>();
  for (const p of chart.points) perSeries.set(p.series, (perSeries.get(p.series) ?? 0) + 1);
  const layer: VegaLiteLayers = [{ mark: { type: 'line', strokeWidth: 2.5, point: { size: 60, filled: true }, tooltip: false } }];
  if (Math.max(...perSeries.values()) <= MAX_LABELLED_POINTS) {
    layer.push({ mark: { type: 'text', baseline: 'bottom', dy: -8, fontSize: 11 }, encoding: { text: { field: 'value', type: 'quantitative', format: LABEL_FORMAT } } });
  }
  return { ...frame(chart.title, chart.points), encoding: { x, y, ...color }, layer };
}

type VegaLiteLayers = Extract<VegaLiteSpec, { layer: unknown }>['layer'];

/** What every chart shares: white background, title, readable text sizes, and a fixed overall size. */
function frame(title: string, values: { label: string; value: number; series?: string }[]) {
  return {
    title: { text: title, fontSize: 18, anchor: 'start', offset: 12 },
    data: { values },
    width: DEFAULT_WIDTH,
    height: HEIGHT,
    // The given width is the whole picture's (axes and legend included), so the PNG's size is known.
    autosize: { type: 'fit', contains: 'padding' },
    padding: 16,
    background: 'white',
    config: {
      view: { stroke: null },
      axis: { labelFontSize: 12, titleFontSize: 13, titlePadding: 10, labelLimit: 220, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 240 },
    },
  } as const;
}

/**
 * Labels stay level while they fit their category's width, else they are angled, which leaves
 * room for all of them down to a category about 24 px wide; only narrower ones (a long daily
 * trend) show every other label.
 */
function categoryAxis(rows: { label: string }[], width: number) {
  const labels = [...new Set(rows.map((r) => r.label))];
  const widest = Math.max(0, ...labels.map(approxLabelWidth));
  const band = (width - 120) / Math.max(1, labels.length);
  const labelOverlap = band < 24;
  return widest <= band * 0.9
    ? ({ labelAngle: 0, labelOverlap } as const)
    : ({ labelAngle: -40, labelAlign: 'right', labelBaseline: 'top', labelOverlap } as const);
}

/** Counts get whole-number ticks (no "0.5 incidents"); hours and rates keep fractional ones. */
function valueAxis(rows: { value: number }[]) {
  return rows.every((r) => Number.isInteger(r.value)) ? { tickMinStep: 1 } : {};
}

/** Bars no wider than with about six categories, so a chart of one or two does not look like a wall. */
function bandPadding(rows: { label: string }[]) {
  const count = new Set(rows.map((r) => r.label)).size;
  return { paddingInner: 0.2, paddingOuter: Math.max(0.1, (6 - count) / 2) };
}

/** Pixel width of a 12 px label, with a Chinese character as wide as the font size and a Latin one about half. */
function approxLabelWidth(label: string): number {
  return [...label].reduce((sum, ch) => sum + (/[\u2e80-\uffef]/.test(ch) ? 12 : 7), 0);
}

/** Smallest segment value that gets a label: its segment is at least about 16 px tall. */
function minLabelledSegment(rows: { label: string; value: number }[]): number {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.label, (totals.get(r.label) ?? 0) + r.value);
  return (Math.max(0, ...totals.values()) * 16) / (HEIGHT - 80);
}

type VegaLite = typeof VegaLiteModule;
let vegaLite: Promise<{ module: VegaLite; toJson?: PropertyDescriptor }> | undefined;

/** Puts `Set.prototype.toJSON` back as it was described (absent when it was). */
function setToJson(descriptor: PropertyDescriptor | undefined): void {
  if (descriptor) Object.defineProperty(Set.prototype, 'toJSON', descriptor);
  else delete (Set.prototype as { toJSON?: unknown }).toJSON;
}

/**
 * Vega-Lite's compile. Loading vega-lite defines `Set.prototype.toJSON` for its own hashing, which
 * breaks libraries that walk the built-ins when they load (discord.js's inspector threw "Set() is
 * not iterable"): it is loaded on first use, and its patch is in place only while it compiles
 * (synchronously, so nothing else runs meanwhile).
 */
async function compile(spec: VegaLiteSpec): Promise<ReturnType<VegaLite['compile']>> {
  vegaLite ??= (async () => {
    const before = Object.getOwnPropertyDescriptor(Set.prototype, 'toJSON');
    const module = await import('vega-lite');
    const toJson = Object.getOwnPropertyDescriptor(Set.prototype, 'toJSON');
    setToJson(before);
    return { module, toJson };
  })();
  const { module, toJson } = await vegaLite;
  const before = Object.getOwnPropertyDescriptor(Set.prototype, 'toJSON');
  setToJson(toJson);
  try {
    return module.compile(spec);
  } finally {
    setToJson(before);
  }
}

/** Compiles and draws a chart offline; the chart's text uses `fonts.family` whatever the spec says. */
export async function renderPng(spec: VegaLiteSpec, options: RenderOptions = {}): Promise<Buffer> {
  const fonts = options.fonts ?? chartFonts();
  const width = options.width ?? DEFAULT_WIDTH;
  const { spec: runtime } = await compile({ ...spec, width, config: { ...spec.config, font: fonts.family } });
  measures.set(fonts.family, fonts.measure);
  // Vega only logs a failed load and draws the chart without that data: fail instead.
  const refused: string[] = [];
  const refuse = (uri: string): Promise<never> => {
    refused.push(uri);
    return Promise.reject(new Error(`report charts render offline; refusing to load ${uri}`));
  };
  const vega = await loadVega();
  const loader: VegaModule.Loader = { load: refuse, sanitize: refuse, http: refuse, file: refuse };
  const view = new vega.View(vega.parse(runtime), { renderer: 'none', loader });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (refused.length > 0) {
    throw new Error(`report charts render offline, but the chart asks to load ${refused.join(', ')}: give its data inline (data.values)`);
  }
  // Vega's SVG holds the chart's text and little else (aria labels repeat the titles).
  if (!fonts.cjk && HAN.test(svg)) {
    throw new Error(`the chart has Chinese text but no font found can draw it (${fonts.files.join(', ')}): run \`npx tsx scripts/prepare-fonts.ts\` or set REPORT_FONT to a CJK font`);
  }
  // Rasterised on libuv's thread pool, not the event loop (a chart is a hundred milliseconds of work).
  const { renderAsync } = await import('@resvg/resvg-js');
  const image = await renderAsync(svg, {
    font: { fontFiles: fonts.files, loadSystemFonts: false, defaultFontFamily: fonts.family },
    fitTo: { mode: 'zoom', value: options.scale ?? DEFAULT_SCALE },
    background: 'white',
  });
  return image.asPng();
}

/** Draws charts one after the other, in this process; their PNGs in the same order. */
export async function renderPngsHere(specs: VegaLiteSpec[], options: RenderOptions = {}): Promise<Buffer[]> {
  const pngs: Buffer[] = [];
  for (const spec of specs) pngs.push(await renderPng(spec, options));
  return pngs;
}

const HAN = /\p{Script=Han}/u;

/** Vega's text layout, which vega's typings leave out. */
interface TextItem {
  font?: string;
  fontSize?: number;
  limit?: number;
}
interface Scenegraph {
  textMetrics: { width: (item: TextItem, text: unknown) => number };
  fontSize: (item: TextItem) => number;
  fontFamily: (item: TextItem) => string;
}

let vegaModule: Promise<typeof VegaModule> | undefined;

/**
 * Vega, loaded on the first chart (a bot that draws no report keeps its memory), with its text
 * measured by the fonts' own metrics. Without a canvas, Vega guesses every character to be 0.8 em
 * wide: Chinese labels come out wider than laid out for and collide with the axis title, Latin
 * ones get too much room. Vega truncates a label to its `limit` by measuring ever shorter
 * prefixes, so a width past the limit is reported as the limit itself.
 */
function loadVega(): Promise<typeof VegaModule> {
  vegaModule ??= import('vega').then((vega) => {
    const scenegraph = vega as unknown as Scenegraph;
    scenegraph.textMetrics.width = (item, text) => {
      const measure = measures.get(scenegraph.fontFamily(item)) ?? vegaGuess;
      const width = measure(text == null ? '' : String(text).trim()) * scenegraph.fontSize(item);
      return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
    };
    return vega;
  });
  return vegaModule;
}

/** Text measures by font family, for the fonts charts have been drawn with. */
const measures = new Map<string, (text: string) => number>();

/** Vega's own guess, for a font no chart was drawn with (Vega's estimateWidth itself would truncate, calling back here). */
const vegaGuess = (text: string) => 0.8 * text.length;

