// What the benchmark runner runs: a list of cases, each one implementation of one benchmark at one size.
// A new benchmark (e.g. W1 training tokens/s, when the model package exists) is a module that returns more
// cases: `work` is what one timed iteration does (flops for gflops, tokens for tokens_per_s).

export type Unit = 'gflops' | 'tokens_per_s';

export interface BenchCase {
  readonly bench: string;
  readonly impl: string;
  readonly size: number | string;
  readonly unit: Unit;
  /** Flops (gflops) or tokens (tokens_per_s) in one timed iteration. */
  readonly work: number;
  /** Runs in another process (a peer): its threads may keep spinning after it answers (MKL's Intel OpenMP spins 200 ms). */
  readonly external?: boolean;
  /** Sets up and warms up; throws (with a reason) when the implementation cannot run here. */
  prepare(): Promise<void>;
  /** Runs `reps` timed iterations, returns each one's wall time in ms. */
  measure(reps: number): Promise<number[]>;
}

/** A group of cases that share a resource (a peer process) with its teardown. */
export interface CaseSource {
  readonly cases: BenchCase[];
  close(): Promise<void>;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** GFLOP/s or tokens/s for a median time in ms. */
export const rate = (c: BenchCase, medianMs: number): number => (c.unit === 'gflops' ? c.work / medianMs / 1e6 : c.work / (medianMs / 1e3));
