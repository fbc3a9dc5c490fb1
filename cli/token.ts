import { parseArgs } from 'node:util';
import { formatDuration, parseDuration, readConfig } from '../kernel/config.ts';
import { RegisterError } from '../kernel/errors.ts';
import { issueToken, parseViewer, type Viewer } from '../kernel/viewer.ts';
import { runCommand, UsageError } from './command.ts';

const usage = `usage: npm run -s token -- --role VENDOR --vendor <OIN> --school <BRIN6 of a vestiging, or BRIN4 of the whole school>
       npm run -s token -- --role MUNICIPALITY --municipality <code>
       npm run -s token -- --role BOARD --board <RIO board code>
       npm run -s token -- --role OPERATOR
options: --expires-in <duration> (default 12h, e.g. 30m or 8h; at most TOKEN_MAX_LIFETIME, 24h unless set)
Prints only the token, signed with TOKEN_SECRET (-s keeps npm from printing its own banner).`;

const flagOf: Record<string, string> = { vendorOin: '--vendor', school: '--school', municipality: '--municipality', board: '--board', role: '--role' };

function readArguments() {
  try {
    return parseArgs({
      options: {
        role: { type: 'string' },
        vendor: { type: 'string' },
        school: { type: 'string' },
        municipality: { type: 'string' },
        board: { type: 'string' },
        'expires-in': { type: 'string', default: '12h' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

/** The viewer the flags describe; a refusal names the flag, where the viewer's rules name its field. */
function viewerOf(values: ReturnType<typeof readArguments>): Viewer {
  try {
    return parseViewer({
      role: values.role?.toUpperCase(),
      vendorOin: values.vendor,
      school: values.school,
      municipality: values.municipality,
      board: values.board,
    });
  } catch (error) {
    if (!(error instanceof RegisterError) || !error.field) throw error;
    throw new UsageError(`${flagOf[error.field] ?? error.field}: ${error.message}\n${usage}`);
  }
}

runCommand(async () => {
  const values = readArguments();
  if (values.help || !values.role) throw new UsageError(usage);
  const config = readConfig();
  const lifetime = parseDuration(values['expires-in']);
  if (lifetime === undefined) throw new UsageError(`--expires-in "${values['expires-in']}" is not a duration like 30m, 12h or 7d`);
  // The register refuses a token that lives longer (kernel/viewer.ts, verifyToken): say so now.
  if (lifetime > config.tokenMaxLifetime) {
    throw new UsageError(
      `--expires-in ${values['expires-in']} is longer than the register accepts: a token lives at most ${formatDuration(config.tokenMaxLifetime)} (TOKEN_MAX_LIFETIME)`,
    );
  }
  console.log(await issueToken(viewerOf(values), config.tokenSecret, values['expires-in']));
});
