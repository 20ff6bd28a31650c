// A small strict parser of the Prometheus text format for the metrics tests: every sample must
// belong to a family declared by HELP and TYPE lines before it, label values must be well
// escaped, no series may repeat, and each histogram's buckets must be cumulative, ascending in
// `le`, end with le="+Inf" and equal its _count. Throws on anything else.

export interface Sample {
  name: string;
  family: string;
  labels: Record<string, string>;
  value: number;
}

export interface Parsed {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`raw line feed in: ${line}`);
      if (c === '\\') {
        const n = text[j + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`bad escape \\${n} in: ${line}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , in: ${line}`);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

function familyOf(name: string, types: Map<string, string>): string {
  if (types.has(name) && types.get(name) !== 'histogram') return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === 'histogram') return base;
    }
  }
  throw new Error(`sample ${name} belongs to no declared TYPE`);
}

export function parsePrometheus(text: string): Parsed {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the text must end with a line feed');
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      if (!NAME.test(name) || helped.has(name)) throw new Error(`bad or repeated HELP: ${line}`);
      helped.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!name || !NAME.test(name) || types.has(name)) throw new Error(`bad or repeated TYPE: ${line}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`bad type: ${line}`);
      if (!helped.has(name)) throw new Error(`TYPE before HELP: ${line}`);
      types.set(name, type!);
      continue;
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line: "${line}"`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1]!;
    const family = familyOf(name, types);
    const labels = m[3] ? parseLabels(m[3], line) : {};
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    const value = parseValue(m[4]!, line);
    if (types.get(family) === 'counter' && !(value >= 0)) throw new Error(`negative counter: ${line}`);
    samples.push({ name, family, labels, value });
  }
  checkHistograms(types, samples);
  return { types, samples };
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of samples) {
    if (types.get(s.family) !== 'histogram') continue;
    const { le, ...rest } = s.labels;
    const key = `${s.family}${JSON.stringify(Object.entries(rest).sort())}`;
    const h = series.get(key) ?? { buckets: [] };
    series.set(key, h);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`bucket without le: ${s.name}`);
      h.buckets.push([parseValue(le, s.name), s.value]);
    } else if (s.name.endsWith('_count')) h.count = s.value;
    else h.sum = s.value;
  }
  for (const [key, h] of series) {
    if (h.count === undefined || h.sum === undefined) throw new Error(`${key}: _count or _sum missing`);
    if (h.buckets.length === 0) throw new Error(`${key}: no buckets`);
    for (let i = 1; i < h.buckets.length; i++) {
      if (!(h.buckets[i]![0] > h.buckets[i - 1]![0])) throw new Error(`${key}: le not ascending`);
      if (h.buckets[i]![1] < h.buckets[i - 1]![1]) throw new Error(`${key}: buckets not cumulative`);
    }
    const last = h.buckets[h.buckets.length - 1]!;
    if (last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${key}: last bucket is not +Inf`);
    if (last[1] !== h.count) throw new Error(`${key}: +Inf bucket ${last[1]} != _count ${h.count}`);
  }
}

/** The value of the one sample named `name` whose labels include `labels`. */
export function sampleValue(parsed: Parsed, name: string, labels: Record<string, string>): number {
  const found = parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}
