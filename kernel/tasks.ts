/*
 * Work a subgraph does of itself, without a request: a sweep over its own data that time alone makes
 * due (the absence register's absolute-absence signal, subgraphs/absence/absoluteAbsence.ts). Started
 * with the subgraph's consumers (system/start.ts), it runs at once, every `everyMs`, and whenever a
 * notification on one of its channels arrives (a wake-up only: the run reads the tables), one run at
 * a time, as a consumer loop does (runRepeatedly).
 */
import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { Lease } from './leases.ts';

export interface SubgraphTask {
  /** For the log. */
  name: string;
  /** How often it runs without a wake-up. */
  everyMs: number;
  /** pg_notify channels that wake it. */
  wakeOn?: readonly string[];
  run(db: Db, config: Config): Promise<unknown>;
}

/**
 * Runs `task` now, every `everyMs` and on `wake()`, one run at a time (runRepeatedly), while the
 * process holds `lease` (kernel/leases.ts): one replica runs a task, the others stand by.
 */
export function startTask(
  db: Db,
  task: SubgraphTask,
  config: Config,
  onError: (error: unknown) => void,
  lease?: Lease,
): { stop(): Promise<void>; wake(): void } {
  return runRepeatedly(async () => (lease && !lease.held ? undefined : task.run(db, config)), task.everyMs, onError);
}

/**
 * Runs `work` now, every `everyMs` and on `wake()`, one run at a time: a wake during a run queues one
 * more run, since the run may already have read past the moment of the wake. Errors go to `onError`
 * and the next run tries again. A task runs so, and a consumer loop (kernel/events.ts, startConsumer).
 */
export function runRepeatedly(work: () => Promise<unknown>, everyMs: number, onError: (error: unknown) => void): { stop(): Promise<void>; wake(): void } {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const run = async () => {
    do {
      again = false;
      await work().catch(onError);
    } while (again && !stopped);
  };
  const wake = () => {
    if (stopped) return;
    if (running) again = true;
    else running = run().finally(() => (running = undefined));
  };
  const timer = setInterval(wake, everyMs);
  wake();
  return {
    wake,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
