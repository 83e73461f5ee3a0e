export interface Row {
  readonly measure: string;
  readonly value: number;
  readonly unit: string;
  readonly ratios?: readonly string[];
}

/** Prints a benchmark's rows as an aligned table: absolute figure, then its ratios to the baselines. */
export function printTable(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.measure.length));
  for (const row of rows) {
    const value =
      row.value >= 100 ? Math.round(row.value).toLocaleString('en-US') : row.value.toFixed(2);
    console.log(
      `${row.measure.padEnd(width)}  ${value.padStart(10)} ${row.unit.padEnd(9)} ${(row.ratios ?? []).join('  ')}`,
    );
  }
}

/** The median of measurements taken in rounds (0 when there are none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
