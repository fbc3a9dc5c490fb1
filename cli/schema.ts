import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CompositionError,
  apiSchemaOf,
  checkSchema,
  composeSupergraph,
  formatReport,
  readOperations,
  readSubgraphSdls,
  supergraphFile,
} from '../gateway/composition.ts';
import { operationTypes } from '../gateway/operationTypes.ts';
import { projectRoot } from '../kernel/config.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { runCommand, UsageError } from './command.ts';

const USAGE = 'usage: node --import tsx cli/schema.ts compose|check [--base <git-ref>] [--allow-breaking]';
const supergraphPath = join(schemaFolder, 'supergraph.graphql');
const operationTypesPath = join(schemaFolder, 'operations.ts');
const readIfThere = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : null);

async function compose(): Promise<number> {
  const subgraphs = readSubgraphSdls(schemaFolder);
  const { supergraphSdl } = composeSupergraph(subgraphs);
  writeFileSync(supergraphPath, supergraphFile(supergraphSdl));
  console.log(`Wrote schema/supergraph.graphql from ${subgraphs.map((subgraph) => subgraph.name).join(', ')}.`);
  writeFileSync(operationTypesPath, await operationTypes(apiSchemaOf(supergraphSdl), readOperations(join(schemaFolder, 'operations'))));
  console.log('Wrote schema/operations.ts from schema/operations.');
  return 0;
}

async function check(base: string, allowBreaking: boolean): Promise<number> {
  const baselineSupergraph = gitShow(base, 'schema/supergraph.graphql');
  if (baselineSupergraph === null) console.log(`no baseline on ${base}: breaking-change diff skipped`);
  const report = await checkSchema({
    subgraphs: readSubgraphSdls(schemaFolder),
    committedSupergraph: readIfThere(supergraphPath),
    baselineSupergraph,
    allowBreaking,
    operations: readOperations(join(schemaFolder, 'operations')),
    committedOperationTypes: readIfThere(operationTypesPath),
  });
  console.log(formatReport(report));
  return report.ok ? 0 : 1;
}

/** The file at `ref`, or null when git, the ref or the file is missing: a first commit has no baseline. */
function gitShow(ref: string, path: string): string | null {
  try {
    // `./` makes the path relative to the repository root we run in, not to git's top level.
    return execFileSync('git', ['show', `${ref}:./${path}`], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

function readArguments() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { base: { type: 'string', default: 'main' }, 'allow-breaking': { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

runCommand(async () => {
  const { positionals, values } = readArguments();
  const [command, ...extra] = positionals;
  if (extra.length || (command !== 'compose' && command !== 'check')) throw new UsageError(USAGE);
  try {
    return command === 'compose' ? await compose() : await check(values.base, values['allow-breaking']);
  } catch (error) {
    // A schema that does not compose is the expected failure of this command: its message says it all.
    if (error instanceof CompositionError) throw new UsageError(error.message);
    throw error;
  }
});
