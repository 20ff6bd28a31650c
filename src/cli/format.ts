// Text output of the CLI: aligned tables, durations ("3m 12s"), times (ISO, UTC) and values
// (JSON for data, options and results). Pure functions: no Redis, no colours.

/** Rows under a header, columns padded to their widest cell; numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return cells.map(line).join('\n');
}

/** A duration in ms as the two largest units: `850ms`, `12s`, `3m 12s`, `2h 5m`, `4d 3h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let left = Math.floor(ms);
  for (const [name, size] of units) {
    if (left >= size || parts.length > 0) {
      parts.push(`${Math.floor(left / size)}${name}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A time in ms since the epoch as ISO 8601 (UTC), or `-`. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
  return new Date(ms).toISOString();
}

/** A value for one table cell: JSON, cut to `max` characters. */
export function short(value: unknown, max = 40): string {
  const text = value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `key: value` lines, keys padded to align the values. */
export function fields(entries: [string, string][]): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

/** Indented pretty JSON, for a block under a heading. */
export function block(value: unknown, indent = '  '): string {
  return (JSON.stringify(value, null, 2) ?? 'undefined')
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}
