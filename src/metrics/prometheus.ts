// A dependency-free writer of the Prometheus text exposition format (version 0.0.4): metric
// families with their HELP and TYPE lines, samples with escaped label values, histograms as
// cumulative `_bucket{le=..}` series with `_sum` and `_count`. Knows nothing of sluice.
import { BUCKET_BOUNDS_MS, type Histogram } from './histogram.js';

/** The metric types sluice writes. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label names and values of a sample. */
export type Labels = Record<string, string>;

interface Family {
  type: MetricType;
  help: string;
  lines: string[];
}

/** A label value escaped for the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escaped: backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format writes it (+Inf, -Inf, NaN spelt out). */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * Collects samples by family, in any order, and writes them grouped (each family once, its
 * HELP and TYPE first), as the format requires.
 */
export class PrometheusText {
  private readonly families = new Map<string, Family>();

  /** Declares a family (once; declaring it again with another type is a bug). */
  declare(name: string, type: MetricType, help: string): this {
    const known = this.families.get(name);
    if (known && known.type !== type) throw new Error(`metric ${name} declared as ${known.type} and ${type}`);
    if (!known) this.families.set(name, { type, help, lines: [] });
    return this;
  }

  private family(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} is not declared`);
    return f;
  }

  /** A counter or gauge sample. */
  sample(name: string, labels: Labels, value: number): void {
    this.family(name).lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  }

  /** A histogram of ms values, written in seconds: cumulative buckets, then _sum and _count. */
  histogramMs(name: string, labels: Labels, h: Histogram): void {
    const f = this.family(name);
    let cumulative = 0;
    for (let i = 0; i < h.counts.length; i++) {
      cumulative += h.counts[i]!;
      const bound = BUCKET_BOUNDS_MS[i];
      const le = bound === undefined ? '+Inf' : formatValue(bound / 1000);
      f.lines.push(`${name}_bucket${formatLabels({ ...labels, le })} ${cumulative}`);
    }
    f.lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(h.sum / 1000)}`);
    f.lines.push(`${name}_count${formatLabels(labels)} ${cumulative}`);
  }

  /** The exposition text. */
  toString(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }
}

/** The Content-Type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
