/**
 * What bench/run.ts hands a load run and what the run prints back: apart from load.ts, so that the
 * project's type check reads these without the peers' own dependencies installed.
 */
export interface LoadRun {
  url: string;
  seconds: number;
  connections: number;
  requests: { body: string; headers: Record<string, string> }[];
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  /** The first error response, to show what went wrong. */
  firstError: string | undefined;
}
