import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../kernel/config.ts';

/*
 * The documents the code cites are in the repository (issue 18): every `*.md` that a comment, an
 * SDL description or a document names exists in a clone, and so does every part of it that the
 * citation names: `domain.md §4` a heading numbered 4 in docs/domain.md, `§7(a)` an item (a) in it,
 * `architecture.md, "Ownership"` a heading so named, `domain.md, last section, "Personal data"` that
 * text in the last section, `architecture.md, journey 1` the first journey. A bare name is looked up
 * beside the citing file, at the root and in docs/.
 */

/** Folders that hold no cited text: installed, generated or local. */
const skipped = new Set(['node_modules', '.git', '.data', '.test-results', 'coverage', 'dist', 'results']);
const scanned = /\.(ts|tsx|sql|graphql|md|sh)$/;

/** What the bench and the fault suite write (gitignored): cited as outputs, not as documents. */
const outputs = ['bench/results/'];

function repositoryFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return skipped.has(entry.name) || (entry.name.startsWith('.') && entry.name !== '.ci') ? [] : repositoryFiles(full);
    return scanned.test(entry.name) || full.endsWith(path.join('.ci', 'run')) ? [full] : [];
  });
}

/** The text a file says to a reader: its comments (code, SQL, shell), or all of it (Markdown prose, SDL); one line. */
function citingText(file: string, text: string): string {
  let parts: string[];
  // A Markdown code span names a file, often another repository's (docs/domain.md's sources); this
  // repository's documents are cited as links or in plain text.
  if (file.endsWith('.md')) parts = [text.replace(/`[^`\n]*`/g, '')];
  else if (file.endsWith('.graphql')) parts = [text];
  else if (/\.tsx?$/.test(file)) parts = text.match(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g) ?? [];
  else if (file.endsWith('.sql')) parts = text.match(/--[^\n]*/g) ?? [];
  else parts = text.match(/(?:^|\s)#[^\n]*/g) ?? [];
  return parts
    .join('\n')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\/\*+|\*\/|\*|\/\/|--|#)?/, ''))
    .join(' ')
    .replace(/\s+/g, ' ');
}

interface Section {
  number: string | undefined;
  title: string;
  level: number;
  body: string;
}

/** A Markdown document's headings, each with the text up to the next heading of its level or above. */
function sectionsOf(markdown: string): Section[] {
  const lines = markdown.split('\n');
  const headings = lines.flatMap((line, index) => {
    const match = /^(#{1,6}) (?:(\d+(?:\.\d+)*)\.? )?(.*)$/.exec(line);
    return match ? [{ index, level: match[1]!.length, number: match[2], title: match[3]!.trim() }] : [];
  });
  return headings.map((heading, i) => {
    const next = headings.slice(i + 1).find((other) => other.level <= heading.level);
    return { number: heading.number, title: heading.title, level: heading.level, body: lines.slice(heading.index, next?.index ?? lines.length).join('\n') };
  });
}

interface Documents {
  /** The repository-relative path of the document `cited` names from `file`, or undefined. */
  resolve(file: string, cited: string): string | undefined;
  read(document: string): string;
}

function repositoryDocuments(root: string): Documents {
  const inside = (candidate: string) => {
    const relative = path.relative(root, candidate);
    return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative.split(path.sep).join('/');
  };
  return {
    resolve(file, cited) {
      const candidates = [
        path.resolve(root, path.dirname(file), cited),
        path.resolve(root, cited),
        ...(cited.includes('/') ? [] : [path.resolve(root, 'docs', cited)]),
      ];
      for (const candidate of candidates) {
        const relative = inside(candidate);
        if (relative !== undefined && (existsSync(candidate) || outputs.some((output) => relative.startsWith(output)))) return relative;
      }
      return undefined;
    },
    read: (document) => readFileSync(path.join(root, document), 'utf8'),
  };
}

/** What is wrong with each citation of a document in `text` (of `file`, repository-relative). */
function citationProblems(file: string, text: string, documents: Documents): string[] {
  const said = citingText(file, text);
  const problems: string[] = [];
  for (const match of said.matchAll(/(?<![\w./-])((?:\.\.?\/)*[\w-]+(?:\/[\w.-]+)*\.md)\b/g)) {
    const cited = match[1]!;
    const found = documents.resolve(file, cited);
    if (found === undefined) {
      problems.push(`${file}: cites ${cited}, which the repository does not have`);
      continue;
    }
    if (outputs.some((output) => found.startsWith(output))) continue;
    const rest = said.slice(match.index + match[0].length);
    problems.push(...partProblems(rest, documents.read(found)).map((problem) => `${file}: cites ${cited} ${problem}`));
  }
  return problems;
}

/** The parts a citation names right after the document's name, each checked against the document. */
function partProblems(rest: string, document: string): string[] {
  const sections = sectionsOf(document);
  const problems: string[] = [];
  const numbered = /^(?:,? ?(?:and )?§(\d+(?:\.\d+)*)(?:\(([a-z])\))?)/;
  let cursor = rest;
  let last: Section | undefined;
  for (let part = numbered.exec(cursor); part; part = numbered.exec(cursor)) {
    cursor = cursor.slice(part[0].length);
    last = sections.find((section) => section.number === part![1]);
    if (!last) problems.push(`§${part[1]}, which it has no section for`);
    else if (part[2] && !last.body.includes(`(${part[2]})`)) problems.push(`§${part[1]}(${part[2]}), which section ${part[1]} has no item (${part[2]}) for`);
  }
  const lastSection = /^, last section/.exec(cursor);
  if (lastSection) {
    cursor = cursor.slice(lastSection[0].length);
    last = sections.filter((section) => section.level === 2).at(-1);
  }
  const quoted = /^,? ?"([^"]+)"/.exec(cursor);
  if (quoted) {
    const name = quoted[1]!;
    if (last) {
      if (!last.body.includes(name)) problems.push(`"${name}" in ${last.number ? `§${last.number}` : `"${last.title}"`}, which does not say it`);
    } else if (!sections.some((section) => section.title.startsWith(name))) problems.push(`"${name}", which it has no heading for`);
  }
  const journey = /^,? ?journey (\d+)/.exec(cursor);
  if (journey) {
    const journeys = sections.find((section) => section.title.startsWith('Journeys'));
    if (!journeys || !new RegExp(`^${journey[1]}\\. `, 'm').test(journeys.body))
      problems.push(`journey ${journey[1]}, which its "Journeys" section does not number`);
  }
  return problems;
}

describe('the documents the code cites', () => {
  const documents = repositoryDocuments(projectRoot);

  it('are in the repository, with every section a citation names', () => {
    const problems = repositoryFiles(projectRoot).flatMap((full) => {
      const file = path.relative(projectRoot, full).split(path.sep).join('/');
      // This file cites missing documents on purpose, below.
      return file === 'test/docs.test.ts' ? [] : citationProblems(file, readFileSync(full, 'utf8'), documents);
    });
    expect(problems).toEqual([]);
  });

  it('are found wherever a citation names them, and only there', () => {
    const check = (file: string, text: string) => citationProblems(file, text, documents);
    expect(check('kernel/x.ts', '// a rule (docs/domain.md §4; Besluit bekostiging WPO 2022 art 10)')).toEqual([]);
    expect(check('migrations/x/0001_y.sql', '-- bare (domain.md §2.2, §6)\nSELECT 1;')).toEqual([]);
    expect(check('kernel/x.ts', '/*\n * the hazard (docs/architecture.md,\n * "Events and subscriptions")\n */')).toEqual([]);
    expect(check('kernel/x.ts', "const file = 'not-a-comment.md';")).toEqual([]);
    expect(check('docs/x.md', 'Source: `owner/repo` `docs/elsewhere.md`; here: [faults](faults.md).')).toEqual([]);
    expect(check('docs/x.md', 'See [the brief](../shared/docs/domain.md).')).toEqual([
      'docs/x.md: cites ../shared/docs/domain.md, which the repository does not have',
    ]);
    expect(check('kernel/x.ts', '// see ../shared/docs/domain.md §3')).toEqual([
      'kernel/x.ts: cites ../shared/docs/domain.md, which the repository does not have',
    ]);
    expect(check('kernel/x.ts', '// see stack.md, pitfalls')).toEqual(['kernel/x.ts: cites stack.md, which the repository does not have']);
    expect(check('kernel/x.ts', '// see docs/domain.md §99')).toEqual(['kernel/x.ts: cites docs/domain.md §99, which it has no section for']);
    expect(check('kernel/x.ts', '// see docs/domain.md §7(z)')).toEqual(['kernel/x.ts: cites docs/domain.md §7(z), which section 7 has no item (z) for']);
    expect(check('kernel/x.ts', '// see docs/architecture.md, "Nowhere"')).toEqual([
      'kernel/x.ts: cites docs/architecture.md "Nowhere", which it has no heading for',
    ]);
    expect(check('kernel/x.ts', '// see docs/domain.md, last section, "Nowhere"')).toEqual([
      'kernel/x.ts: cites docs/domain.md "Nowhere" in §14, which does not say it',
    ]);
  });
});
