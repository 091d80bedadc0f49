// Percentiles and the tables the benchmark prints and writes to docs/benchmarks.md.

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies in milliseconds. */
export function summarize(values: number[]): Summary {
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => (v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!);
  return { n: v.length, p50: at(50), p95: at(95), p99: at(99), max: v.length ? v[v.length - 1]! : NaN };
}

export function ms(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

/** A Markdown table; the same text is printed and written to the docs. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The finest difference the benchmark's timings can tell apart: arrivals are taken when its event
 * loop reads a frame, and that loop's timers tick in whole milliseconds.
 */
export const RESOLUTION_MS = 1;

/** `a / b` from unrounded values; "n/a" when the denominator is below the measurement's resolution. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b < RESOLUTION_MS) return "n/a";
  const r = a / b;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(1)}×`;
}
