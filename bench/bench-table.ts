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
