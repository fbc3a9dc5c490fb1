#!/usr/bin/env node
// @ts-check
/*
 * A vendor's schema check: validates a vendor's own GraphQL operations against the register's API
 * schema, served by the gateway at /schema.graphql, or a file of it. It names every operation the
 * schema breaks and warns about every deprecated field, argument, enum value or input field an
 * operation uses, with the deprecation's date and replacement. One file, needing Node.js 20 and the
 * `graphql` package only, so a vendor copies it into its own repository (README, "A vendor's schema
 * check").
 *
 *   REGISTER_TOKEN=<token> node check-operations.mjs --schema https://register.example/schema.graphql src/graphql
 *   node check-operations.mjs --schema register-schema.graphql src/graphql/*.graphql
 *
 *   --schema <url|file>  the API schema: the gateway's /schema.graphql, or an SDL file
 *   --cache <file>       keep the served schema here with its ETag, and ask again with If-None-Match
 *   --strict             deprecated usage fails the check too
 *   <file|folder>...     .graphql and .gql files, folders searched for them
 *
 * The token comes from REGISTER_TOKEN, never from the command line (where ps would show it).
 * Exit code: 0 every operation is valid (warnings may be printed), 1 an operation is broken (or, with
 * --strict, uses something deprecated), 2 the check could not run (arguments, schema, files).
 * In GitHub Actions (GITHUB_ACTIONS=true) each finding is also a workflow annotation on its line.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSchema, Kind, NoDeprecatedCustomRule, parse, specifiedRules, validate, visit } from 'graphql';

/** @typedef {{ file: string; line: number; column: number; operation: string; message: string }} Finding */

class Refusal extends Error {}

async function main() {
  const { values, positionals } = readArguments();
  const schema = buildSchema(await readSchema(values.schema, values.cache));
  const files = positionals.flatMap(graphqlFiles);
  if (files.length === 0) throw new Refusal(`no .graphql or .gql files in ${positionals.join(', ')}`);
  const { operations, fragments, errors } = readDocuments(files);
  for (const operation of operations) {
    /** @type {import('graphql').DocumentNode} */
    const document = { kind: Kind.DOCUMENT, definitions: [operation.node, ...fragmentsUsed(operation.node, fragments)] };
    const where = (/** @type {import('graphql').GraphQLError} */ error) => locate(error, operation, fragments);
    errors.push(...validate(schema, document, specifiedRules).map(where));
    operation.deprecated = validate(schema, document, [NoDeprecatedCustomRule]).map(where);
  }
  const warnings = operations.flatMap((operation) => operation.deprecated ?? []);
  for (const finding of errors) report('error', finding);
  for (const finding of warnings) report('warning', finding);
  const broken = new Set(errors.map((finding) => finding.operation));
  console.log(
    `${operations.length} operation(s) in ${files.length} file(s) checked: ${broken.size} broken, ${new Set(warnings.map((finding) => finding.operation)).size} using something deprecated.`,
  );
  return broken.size > 0 || (values.strict && warnings.length > 0) ? 1 : 0;
}

function readArguments() {
  try {
    const parsed = parseArgs({
      allowPositionals: true,
      options: { schema: { type: 'string' }, cache: { type: 'string' }, strict: { type: 'boolean', default: false } },
    });
    if (!parsed.values.schema || parsed.positionals.length === 0) throw new Error('give --schema and at least one file or folder');
    return { values: { ...parsed.values, schema: parsed.values.schema }, positionals: parsed.positionals };
  } catch (error) {
    throw new Refusal(
      `${/** @type {Error} */ (error).message}\nusage: node check-operations.mjs --schema <url|file> [--cache <file>] [--strict] <file|folder>...`,
    );
  }
}

/**
 * The schema's SDL from a file, or from the gateway. With a cache file, the ETag it holds goes in
 * If-None-Match, and a 304 means the cached schema is the served one (RFC 9110 §13.1.2).
 * @param {string} source
 * @param {string | undefined} cacheFile
 */
async function readSchema(source, cacheFile) {
  if (!/^https?:\/\//.test(source)) {
    if (!existsSync(source)) throw new Refusal(`no schema file ${source}`);
    return readFileSync(source, 'utf8');
  }
  const cached = cacheFile && existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : undefined;
  const headers = /** @type {Record<string, string>} */ ({});
  if (process.env.REGISTER_TOKEN) headers.authorization = `Bearer ${process.env.REGISTER_TOKEN}`;
  if (cached?.url === source && cached.etag) headers['if-none-match'] = cached.etag;
  const response = await fetch(source, { headers }).catch((error) => {
    throw new Refusal(`cannot reach ${source}: ${error.cause?.message ?? error.message}`);
  });
  if (response.status === 304) return cached.sdl;
  if (!response.ok) {
    const body = /** @type {any} */ (await response.json().catch(() => undefined));
    const why = body?.errors?.[0] ? `${body.errors[0].extensions?.code}: ${body.errors[0].message}` : response.statusText;
    throw new Refusal(`${source} answered ${response.status} (${why})${response.status === 401 ? '; set REGISTER_TOKEN' : ''}`);
  }
  const sdl = await response.text();
  if (cacheFile) writeFileSync(cacheFile, JSON.stringify({ url: source, etag: response.headers.get('etag'), sdl }));
  return sdl;
}

/** @param {string} path */
function graphqlFiles(path) {
  if (!existsSync(path)) throw new Refusal(`no such file or folder: ${path}`);
  if (!statSync(path).isDirectory()) return [path];
  return /** @type {string[]} */ (readdirSync(path, { recursive: true }))
    .filter((name) => ['.graphql', '.gql'].includes(extname(name)) && !name.split(/[\\/]/).includes('node_modules'))
    .sort()
    .map((name) => join(path, name));
}

/**
 * Every operation and fragment of every file; a fragment may be used from another file.
 * @param {string[]} files
 */
function readDocuments(files) {
  /** @type {{ file: string; name: string; node: import('graphql').OperationDefinitionNode; deprecated?: Finding[] }[]} */
  const operations = [];
  /** @type {Map<string, { file: string; node: import('graphql').FragmentDefinitionNode }>} */
  const fragments = new Map();
  /** @type {Finding[]} */
  const errors = [];
  for (const file of files) {
    let document;
    try {
      document = parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const location = /** @type {import('graphql').GraphQLError} */ (error).locations?.[0];
      errors.push({ file, line: location?.line ?? 1, column: location?.column ?? 1, operation: file, message: /** @type {Error} */ (error).message });
      continue;
    }
    for (const node of document.definitions) {
      if (node.kind === Kind.OPERATION_DEFINITION) operations.push({ file, name: node.name?.value ?? `anonymous ${node.operation} in ${file}`, node });
      else if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, { file, node });
    }
  }
  return { operations, fragments, errors };
}

/**
 * The fragments an operation spreads, directly or through other fragments.
 * @param {import('graphql').ASTNode} node
 * @param {Map<string, { node: import('graphql').FragmentDefinitionNode }>} fragments
 * @param {Set<string>} seen
 * @returns {import('graphql').FragmentDefinitionNode[]}
 */
function fragmentsUsed(node, fragments, seen = new Set()) {
  /** @type {import('graphql').FragmentDefinitionNode[]} */
  const used = [];
  visit(node, {
    FragmentSpread(spread) {
      const fragment = fragments.get(spread.name.value);
      if (!fragment || seen.has(spread.name.value)) return;
      seen.add(spread.name.value);
      used.push(fragment.node, ...fragmentsUsed(fragment.node, fragments, seen));
    },
  });
  return used;
}

/**
 * Where an error points: the operation's own file, or the file of the fragment its first location is in.
 * @param {import('graphql').GraphQLError} error
 * @param {{ file: string; name: string; node: import('graphql').OperationDefinitionNode }} operation
 * @param {Map<string, { file: string; node: import('graphql').FragmentDefinitionNode }>} fragments
 * @returns {Finding}
 */
function locate(error, operation, fragments) {
  const node = error.nodes?.[0];
  const source = node?.loc?.source;
  const inFragment = [...fragments.values()].find((fragment) => fragment.node.loc?.source === source);
  const location = error.locations?.[0];
  return {
    file: source && source !== operation.node.loc?.source && inFragment ? inFragment.file : operation.file,
    line: location?.line ?? operation.node.loc?.startToken.line ?? 1,
    column: location?.column ?? 1,
    operation: operation.name,
    message: error.message,
  };
}

/**
 * @param {'error' | 'warning'} level
 * @param {Finding} finding
 */
function report(level, finding) {
  const text = `${finding.operation}: ${finding.message}`;
  console.log(`${relative(process.cwd(), finding.file) || finding.file}:${finding.line}:${finding.column} ${level} ${text}`);
  if (process.env.GITHUB_ACTIONS === 'true') {
    // Workflow commands escape %, CR and LF in their message.
    const escaped = text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    console.log(`::${level} file=${finding.file},line=${finding.line},col=${finding.column}::${escaped}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Refusal ? error.message : error);
    process.exit(2);
  },
);
