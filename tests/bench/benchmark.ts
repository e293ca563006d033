/** One benchmark of `npm run bench`; its metrics appear under `name` in the JSON report. */
export interface Benchmark {
  readonly name: string;
  /** Prefer ratios to absolute times where possible: they are what is compared across machines. */
  run(): Promise<Record<string, number>>;
}
