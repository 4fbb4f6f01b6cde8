/**
 * A counter and a histogram for metrics observed on every request. prom-client's own spend most of an
 * observation checking the labels object's keys and hashing it into a string key; these take the label
 * values positionally, find the series through one Map per label keyed by the values themselves (so no
 * key is built, and no value can be mistaken for another), and build each series' labels object once.
 *
 * They register on a prom-client Registry as custom metrics and hand it, at each scrape, the values its
 * Counter and Histogram would: same series order (creation order), same labels, `le` first and numeric
 * with a last "+Inf" bucket, cumulative buckets, `_sum` and `_count`. The registry does the formatting
 * and escaping, so the exposition is prom-client's, byte for byte.
 */
import type { Metric, Registry } from "prom-client";

type LabelNames = readonly [string, ...string[]];
type LabelValues<Names extends LabelNames> = { [K in keyof Names]: string };

interface SeriesConfig<Names extends LabelNames> {
  name: string;
  help: string;
  labelNames: Names;
  registry: Registry;
}

export interface LabelledCounter<Names extends LabelNames> {
  /** Adds one to the series of these label values, given in `labelNames` order. */
  inc(...values: LabelValues<Names>): void;
}

export interface LabelledHistogram<Names extends LabelNames> {
  /** Records `value` in the series of these label values, given in `labelNames` order. */
  observe(value: number, ...values: LabelValues<Names>): void;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  /** Labels the registry formats after `labels` (and after its default labels), as prom-client's histogram has it. */
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: "counter" | "histogram";
  values: ExportedValue[];
  aggregator: "sum";
}

/**
 * What prom-client's registry reads of a metric: `metrics()` formats `getForPromString()` when there is one,
 * else `get()`; `getMetricsAsJSON()` returns `get()`; `resetMetrics()` calls `reset()`.
 */
interface CustomMetric extends Omit<ExportedMetric, "values"> {
  get(): Promise<ExportedMetric>;
  getForPromString?(): Promise<ExportedMetric>;
  reset(): void;
}

/** One label value's place in the tree: the series whose values end here, and the next label's values. */
interface Node<Series> {
  series?: Series;
  next?: Map<string, Node<Series>>;
}

/** The series of one metric, found by label values through one Map level per label. */
function createSeriesTable<Series>(labelNames: LabelNames, create: (labels: Record<string, string>) => Series) {
  let root: Node<Series> = {};
  let all: Series[] = [];

  const labelsOf = (values: readonly string[]) => {
    const labels: Record<string, string> = {};
    // The callers' types give exactly one value per label name.
    for (const [i, name] of labelNames.entries()) labels[name] = values[i] as string;
    return labels;
  };

  return {
    find(values: readonly string[]): Series {
      let node = root;
      for (const value of values) {
        node.next ??= new Map();
        let child = node.next.get(value);
        if (child === undefined) {
          child = {};
          node.next.set(value, child);
        }
        node = child;
      }
      if (node.series === undefined) {
        node.series = create(labelsOf(values));
        all.push(node.series);
      }
      return node.series;
    },
    /** Every series, in the order it was first observed (the order prom-client exports). */
    all: () => all,
    clear() {
      root = {};
      all = [];
    },
  };
}

function register(registry: Registry, metric: CustomMetric): void {
  // prom-client's types admit only its own classes, but its registry reads no more than CustomMetric.
  registry.registerMetric(metric as unknown as Metric);
}

export function createLabelledCounter<const Names extends LabelNames>({
  name,
  help,
  labelNames,
  registry,
}: SeriesConfig<Names>): LabelledCounter<Names> {
  const table = createSeriesTable(labelNames, (labels) => ({ labels, value: 0 }));
  register(registry, {
    name,
    help,
    type: "counter",
    aggregator: "sum",
    async get() {
      // Copies, since getMetricsAsJSON replaces the labels of what it is given when default labels are set.
      const values = table.all().map(({ labels, value }) => ({ value, labels }));
      return { help, name: this.name, type: "counter", values, aggregator: "sum" };
    },
    reset: table.clear,
  });
  return {
    inc(...values) {
      table.find(values).value += 1;
    },
  };
}

export function createLabelledHistogram<const Names extends LabelNames>({
  name,
  help,
  labelNames,
  buckets,
  registry,
}: SeriesConfig<Names> & { buckets: readonly number[] }): LabelledHistogram<Names> {
  const bounds = [...buckets];
  // One count per bucket, plus one for values above the last bound, which only `+Inf` and `_count` show.
  const table = createSeriesTable(labelNames, (labels) => ({
    labels,
    counts: new Array<number>(bounds.length + 1).fill(0),
    sum: 0,
    count: 0,
  }));
  // As prom-client's histogram: each series' labels go in `sharedLabels`, after `le` and any default labels.
  const exported = (name: string): ExportedValue[] => {
    const values: ExportedValue[] = [];
    for (const { labels, counts, sum, count } of table.all()) {
      let cumulative = 0;
      for (const [i, bound] of bounds.entries()) {
        cumulative += counts[i] ?? 0;
        values.push({
          labels: { le: bound },
          sharedLabels: labels,
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      }
      values.push({ labels: { le: "+Inf" }, sharedLabels: labels, value: count, metricName: `${name}_bucket` });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count` });
    }
    return values;
  };
  register(registry, {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    async getForPromString() {
      return { name: this.name, help, type: "histogram", values: exported(this.name), aggregator: "sum" };
    },
    async get() {
      const values = exported(this.name).map(({ labels, sharedLabels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      }));
      return { name: this.name, help, type: "histogram", values, aggregator: "sum" };
    },
    reset: table.clear,
  });
  return {
    observe(value, ...values) {
      if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
      const series = table.find(values);
      // A bucket's bound is inclusive (le): the value goes in the first bucket whose bound it does not exceed.
      let i = 0;
      for (const bound of bounds) {
        if (value <= bound) break;
        i++;
      }
      series.counts[i] = (series.counts[i] ?? 0) + 1;
      series.sum += value;
      series.count += 1;
    },
  };
}
