import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kind, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { apiSchemaOf } from '../gateway/composition.ts';
import { documentId } from '../gateway/trusted.ts';
import { parseOin } from '../kernel/ids/index.ts';
import { schemaFolder } from '../kernel/subgraph.ts';
import { runCommand, UsageError } from './command.ts';

const USAGE = 'usage: npm run operations:register -- --vendor <OIN> <operation.graphql> [...] [--into <folder>]';

/**
 * Registers a vendor's operations as trusted documents: each file holds one named operation, valid
 * against today's API, and lands in `schema/operations/vendors/<OIN>/<name>.graphql`, where the
 * schema check keeps it valid and a strict gateway runs it. Prints each document's id (SHA-256).
 */
runCommand(async () => {
  let values: { vendor?: string; into?: string };
  let files: string[];
  try {
    ({ values, positionals: files } = parseArgs({
      allowPositionals: true,
      options: { vendor: { type: 'string' }, into: { type: 'string', default: join(schemaFolder, 'operations') } },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.vendor || files.length === 0) throw new UsageError(USAGE);
  const vendor = parseOin(values.vendor, 'vendor');
  const schema = apiSchemaOf(readFileSync(join(schemaFolder, 'supergraph.graphql'), 'utf8'));
  const folder = join(values.into!, 'vendors', vendor);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    }
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    const errors = validate(schema, document);
    if (errors.length) throw new UsageError(`${file} does not validate against the API:\n${errors.map((error) => `  - ${error.message}`).join('\n')}`);
    const name = operations.length === 1 ? operations[0]!.name?.value : undefined;
    if (!name) throw new UsageError(`${file}: a registered document holds exactly one operation, with a name`);
    const target = join(folder, `${name}.graphql`);
    if (existsSync(target) && readFileSync(target, 'utf8') !== source) {
      throw new UsageError(`${name} is registered already with other text: give the new version another name, so that clients of the old one keep working`);
    }
    mkdirSync(folder, { recursive: true });
    writeFileSync(target, source);
    console.log(`${name}: registered as ${documentId(source)}`);
  }
});
