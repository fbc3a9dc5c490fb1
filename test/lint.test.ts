import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../kernel/config.ts';

/*
 * The architecture's borders as npm run lint keeps them (eslint.config.js): each case lints a file
 * that is not in the tree, as if it were at the path given.
 */
const eslint = new ESLint({ cwd: projectRoot });

async function refusals(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: `${projectRoot}/${file}` });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('npm run lint keeps the borders', () => {
  it.each([
    ['subgraphs/funding/example.ts', "import { enrollmentState } from '../learners/events.ts';", /A subgraph imports only kernel\/, contracts\/ and itself/],
    ['subgraphs/learners/example.ts', "import { mandate } from '../institutions/tables.ts';", /A subgraph imports only/],
    ['subgraphs/absence/example.ts', "import { startSystem } from '../../system/start.ts';", /A subgraph imports only/],
    ['subgraphs/funding/example.test.ts', "import { learners } from '../learners/index.ts';", /tests across subgraphs live in test\//],
    ['contracts/example.ts', "import { learner } from '../subgraphs/learners/tables.ts';", /Contracts import only the kernel/],
    ['kernel/example.ts', "import { createGateway } from '../gateway/gateway.ts';", /The kernel imports nothing above it/],
    ['kernel/ids/example.ts', "import { services } from '../../contracts/institutions.ts';", /The kernel imports nothing above it/],
    ['web/school/example.ts', "import { parseBrin6 } from '../../kernel/ids/index.ts';", /The browser pages import no server code/],
  ])('refuses %s importing across a border', async (file, text, why) => {
    expect(await refusals(file, `${text}\nexport const used = [${/import \{ (\w+)/.exec(text)![1]}];\n`)).toEqual([expect.stringMatching(why)]);
  });

  it.each([
    ['subgraphs/funding/example.ts', "import { learnersEvent } from '../../contracts/learners.ts';"],
    ['subgraphs/funding/example.ts', "import { rowsOf } from '../../kernel/db.ts';"],
    ['subgraphs/funding/example.ts', "import { reassess } from './assess.ts';"],
    ['subgraphs/learners/example.ts', "import { parseDelivered } from '../learners/deliveries.ts';"],
    ['contracts/example.ts', "import { appendEvents } from '../kernel/events.ts';"],
    ['test/example.ts', "import { learners } from '../subgraphs/learners/index.ts';"],
  ])('lets %s import within its borders', async (file, text) => {
    expect(await refusals(file, `${text}\nexport const used = [${/import \{ (\w+)/.exec(text)![1]}];\n`)).toEqual([]);
  });
});
