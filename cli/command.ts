import { ConfigError } from '../kernel/config.ts';
import { DatabaseInUseError } from '../kernel/db.ts';
import { RegisterError } from '../kernel/errors.ts';
import { MigrationError } from '../kernel/migrations.ts';

/** An expected refusal of a command (bad arguments): shown as its message alone. */
export class UsageError extends Error {}

const expected = [UsageError, ConfigError, MigrationError, DatabaseInUseError];

/**
 * Runs a command's body: expected failures (usage, configuration, a busy database, refused input, a
 * migration) print one readable message and exit 1; anything else keeps its stack trace for the bug report.
 */
export function runCommand(body: () => Promise<number | void>): void {
  body().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      if (error instanceof RegisterError) console.error(`${error.code}: ${error.message}`);
      else if (expected.some((kind) => error instanceof kind)) console.error((error as Error).message);
      else console.error(error);
      process.exitCode = 1;
    },
  );
}
