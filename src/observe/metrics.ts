// A small Prometheus registry: counters, gauges and histograms with labels,
// a bound on series per metric, and rendering in text exposition format 0.0.4.
import { assert } from '../util/assert.ts';

export type Labels<L extends string> = Readonly<Record<L, string>>;

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Label value every label takes once a metric hits its series bound. */
export const overflowLabelValue = '_overflow';
export const seriesMaxDefault = 1000;
export const latencyBucketsSeconds: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type MetricType = 'counter' | 'gauge' | 'histogram';

interface SeriesCell<V> {
  labelValues: string[];
  value: V;
}

interface HistogramValue {
  bucketCounts: number[]; // non-cumulative, one per finite bound
  count: number;
  sum: number;
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelBlock(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Shared series bookkeeping: label validation, the cardinality bound, and overflow accounting. */
abstract class Metric<L extends string, V> {
  protected readonly cells = new Map<string, SeriesCell<V>>();
  overflowCount = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly L[],
    readonly seriesMax: number,
  ) {
    assert(metricNamePattern.test(name), `bad metric name ${name}`);
    assert(seriesMax >= 1, 'seriesMax must be positive');
    for (const l of labelNames) assert(labelNamePattern.test(l) && !l.startsWith('__'), `bad label name ${l}`);
    assert(new Set(labelNames).size === labelNames.length, `duplicate label in ${name}`);
  }

  protected abstract initial(): V;

  protected cell(labels: Labels<L>): SeriesCell<V> {
    const values = this.labelNames.map((n) => labels[n]);
    const key = values.join('\u0000');
    const hit = this.cells.get(key);
    if (hit !== undefined) return hit;
    if (this.cells.size >= this.seriesMax) return this.overflowCell();
    const created = { labelValues: values, value: this.initial() };
    this.cells.set(key, created);
    return created;
  }

  private overflowCell(): SeriesCell<V> {
    this.overflowCount += 1;
    const values = this.labelNames.map(() => overflowLabelValue);
    const key = values.join('\u0000');
    const hit = this.cells.get(key);
    if (hit !== undefined) return hit;
    // The overflow series may exceed seriesMax by exactly one.
    const created = { labelValues: values, value: this.initial() };
    this.cells.set(key, created);
    return created;
  }

  /** Drops every series (for gauges re-filled at scrape time). */
  reset(): void {
    this.cells.clear();
  }

  seriesCount(): number {
    return this.cells.size;
  }

  sortedCells(): SeriesCell<V>[] {
    // An unlabeled metric always shows its one series, so alerts see 0 rather than nothing.
    if (this.labelNames.length === 0 && this.cells.size === 0) this.cells.set('', { labelValues: [], value: this.initial() });
    return [...this.cells.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, c]) => c);
  }

  render(): string {
    const head = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    return head + this.sortedCells().map((c) => this.renderCell(c)).join('');
  }

  protected abstract renderCell(cell: SeriesCell<V>): string;
}

export class Counter<L extends string = never> extends Metric<L, { v: number }> {
  constructor(name: string, help: string, labelNames: readonly L[], seriesMax: number) {
    super(name, help, 'counter', labelNames, seriesMax);
  }

  protected initial(): { v: number } {
    return { v: 0 };
  }

  inc(labels: Labels<L>, by = 1): void {
    assert(by >= 0 && Number.isFinite(by), `counter ${this.name} increment must be finite and >= 0`);
    this.cell(labels).value.v += by;
  }

  /** Mirrors a monotonic total kept elsewhere (storage counters read at scrape time). */
  mirror(labels: Labels<L>, total: number): void {
    this.cell(labels).value.v = total;
  }

  get(labels: Labels<L>): number {
    return this.cell(labels).value.v;
  }

  protected renderCell(c: SeriesCell<{ v: number }>): string {
    return `${this.name}${labelBlock(this.labelNames, c.labelValues)} ${formatValue(c.value.v)}\n`;
  }
}

export class Gauge<L extends string = never> extends Metric<L, { v: number }> {
  constructor(name: string, help: string, labelNames: readonly L[], seriesMax: number) {
    super(name, help, 'gauge', labelNames, seriesMax);
  }

  protected initial(): { v: number } {
    return { v: 0 };
  }

  set(labels: Labels<L>, value: number): void {
    this.cell(labels).value.v = value;
  }

  inc(labels: Labels<L>, by = 1): void {
    this.cell(labels).value.v += by;
  }

  dec(labels: Labels<L>, by = 1): void {
    this.cell(labels).value.v -= by;
  }

  get(labels: Labels<L>): number {
    return this.cell(labels).value.v;
  }

  protected renderCell(c: SeriesCell<{ v: number }>): string {
    return `${this.name}${labelBlock(this.labelNames, c.labelValues)} ${formatValue(c.value.v)}\n`;
  }
}

export class Histogram<L extends string = never> extends Metric<L, HistogramValue> {
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], seriesMax: number, bounds: readonly number[]) {
    super(name, help, 'histogram', labelNames, seriesMax);
    assert(!(labelNames as readonly string[]).includes('le'), 'histogram label "le" is reserved');
    assert(bounds.length > 0, 'histogram needs buckets');
    for (let i = 1; i < bounds.length; i++) assert((bounds[i] ?? 0) > (bounds[i - 1] ?? 0), 'buckets must increase');
    assert(bounds.every((b) => Number.isFinite(b)), '+Inf is implicit');
    this.bounds = bounds;
  }

  protected initial(): HistogramValue {
    return { bucketCounts: this.bounds.map(() => 0), count: 0, sum: 0 };
  }

  observe(labels: Labels<L>, value: number): void {
    const h = this.cell(labels).value;
    const index = this.bounds.findIndex((b) => value <= b);
    if (index >= 0) h.bucketCounts[index] = (h.bucketCounts[index] ?? 0) + 1;
    h.count += 1;
    h.sum += value;
  }

  snapshot(labels: Labels<L>): { count: number; sum: number } {
    const h = this.cell(labels).value;
    return { count: h.count, sum: h.sum };
  }

  protected renderCell(c: SeriesCell<HistogramValue>): string {
    const lines: string[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += c.value.bucketCounts[i] ?? 0;
      lines.push(`${this.name}_bucket${labelBlock(this.labelNames, c.labelValues, ['le', formatValue(bound)])} ${cumulative}\n`);
    });
    lines.push(`${this.name}_bucket${labelBlock(this.labelNames, c.labelValues, ['le', '+Inf'])} ${c.value.count}\n`);
    lines.push(`${this.name}_sum${labelBlock(this.labelNames, c.labelValues)} ${formatValue(c.value.sum)}\n`);
    lines.push(`${this.name}_count${labelBlock(this.labelNames, c.labelValues)} ${c.value.count}\n`);
    return lines.join('');
  }
}

/** What the registry needs from any metric, whatever its label names. */
interface AnyMetric {
  readonly name: string;
  readonly overflowCount: number;
  render(): string;
}
/** Runs at scrape time, before rendering, to pull values kept elsewhere. */
export type Collector = () => Promise<void> | void;

export const contentType004 = 'text/plain; version=0.0.4; charset=utf-8';

export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: Collector[] = [];
  readonly overflow: Counter<'metric'>;

  constructor(readonly seriesMax = seriesMaxDefault) {
    this.overflow = this.counter('cairn_metrics_series_overflow_total', 'Observations folded into the overflow series because a metric hit its series bound.', ['metric']);
  }

  private add<M extends AnyMetric>(metric: M): M {
    assert(!this.metrics.has(metric.name), `metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], seriesMax = this.seriesMax): Counter<L> {
    return this.add(new Counter<L>(name, help, labelNames, seriesMax));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], seriesMax = this.seriesMax): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labelNames, seriesMax));
  }

  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], bounds: readonly number[] = latencyBucketsSeconds, seriesMax = this.seriesMax): Histogram<L> {
    return this.add(new Histogram<L>(name, help, labelNames, seriesMax, bounds));
  }

  addCollector(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** Runs the collectors (a failing one is skipped, so one bad source never hides the rest), then renders. */
  async scrape(onCollectorError: (e: unknown) => void = () => {}): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch (e) {
        onCollectorError(e);
      }
    }
    return this.render();
  }

  render(): string {
    for (const m of this.metrics.values()) {
      if (m !== this.overflow && m.overflowCount > 0) this.overflow.mirror({ metric: m.name }, m.overflowCount);
    }
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}
