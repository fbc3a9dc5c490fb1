/*
 * The school page and the explorer in a real browser: Debian's Chromium, driven by playwright-core
 * (never a browser download), headless with the flags the machine notes give. No request may leave
 * localhost: every other one is failed and recorded, and each test checks there was none.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../kernel/config.ts';
import { bsnFor, enrollmentInput, eventually, schoolAt, startTestSystem, type School, type TestSystem } from './harness.ts';

/** Debian's Chromium (apt-get install chromium), found on the PATH; .ci/run installs it when missing. */
function installedChromium(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : undefined;
}

const executablePath = installedChromium();
const skipReason = 'no Chromium on this machine (install it with `apt-get install chromium`; CI does)';
if (!executablePath) console.warn(`test/browser.test.ts: SKIPPED, ${skipReason}`);

// Without the background-networking flags, Chromium dials Google's hosts at start (machine notes).
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const screenshots = path.join(projectRoot, '.test-results', 'screenshots');

const enrollMutation = 'mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } transferNoticeCount } }';

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

describe.skipIf(!executablePath)(executablePath ? 'the school page and the explorer in Chromium' : `browser tests SKIPPED: ${skipReason}`, () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let context: BrowserContext;
  let userDataDir: string;
  let learner = 90_000;
  const outside: string[] = [];
  const pageErrors: string[] = [];
  const pages: Page[] = [];

  const database = () => (system.config.databaseUrl ? 'postgres' : 'pglite');
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}-${database()}.png`), fullPage: true });

  const enroll = async (at: School, pgnOf: number, overrides: Record<string, unknown> = {}) => {
    const response = await system.query<{ enrollLearner: { enrollment: { id: string }; transferNoticeCount: number } }>(enrollMutation, {
      variables: { input: enrollmentInput(at, pgnOf, overrides) },
      token: at.token,
    });
    expect(response.errors).toBeUndefined();
    return response.data!.enrollLearner;
  };

  /** A learner enrolled at A who then enrolls at B from 6 January 2025: A gets a notice. */
  const transfer = async (n: number) => {
    const atA = await enroll(a, n);
    const atB = await enroll(b, n, { startDate: '2025-01-06' });
    expect(atB.transferNoticeCount).toBe(1);
    return { pgn: bsnFor(n), enrollmentAtA: atA.enrollment.id };
  };

  const subscribers = () => system.system.stats().gateway?.subscribers ?? 0;

  const newPage = async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    pages.push(page);
    return page;
  };

  /** Opens /school and signs in as school A, as its administrator would, until the page is live. */
  const signIn = async (page: Page) => {
    await page.goto(new URL('/school', system.url).href);
    await page.getByLabel('Your school’s token').fill(a.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('status').filter({ hasText: 'Live:' }).waitFor();
    // Its three subscriptions have reached the gateway: from here on nothing is missed.
    await eventually("the page's three subscriptions", () => subscribers() === 3, { deadline: 10_000 });
  };

  const notice = (page: Page, pgn: string): Locator => page.locator('#notices li').filter({ hasText: `Learner ${pgn} ` });
  const enrollmentRow = (page: Page, pgn: string): Locator =>
    page.locator('#enrollments tr').filter({ has: page.getByRole('rowheader', { name: pgn, exact: true }) });

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    userDataDir = await mkdtemp(path.join(os.tmpdir(), 'register-graph-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath, args: chromiumFlags, headless: true });
    // Waits for what a page shows end well within a test's 30 s, on a machine shared with others.
    context.setDefaultTimeout(15_000);
    await context.route(
      () => true,
      (route) => {
        const url = route.request().url();
        if (isLocal(url)) return route.continue();
        outside.push(url);
        return route.abort('internetdisconnected');
      },
    );
    await mkdir(screenshots, { recursive: true });
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    await eventually("the last test's subscriptions to end", () => subscribers() === 0, { deadline: 10_000 });
    expect(outside.splice(0)).toEqual([]);
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await system?.close();
  });

  it('shows a signed-in school its enrollments with their funding status, its open transfer notices and its absence reports', async () => {
    const staying = ++learner;
    const { pgn: leaving } = await transfer(++learner);
    const { enrollment } = await enroll(a, staying);
    const report = await system.query('mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id } } }', {
      token: a.token,
      variables: {
        input: {
          documentId: `browser-report-${staying}`,
          enrollmentId: enrollment.id,
          kind: 'OTHER',
          startDate: '2026-10-05',
          absences: [],
          municipalityActionWanted: false,
          contact: { name: 'J. de Vries' },
        },
      },
    });
    expect(report.errors).toBeUndefined();
    const page = await newPage();

    await signIn(page);

    await page.locator('#school-heading').filter({ hasText: "Openbare Basisschool 't Eenspan" }).waitFor();
    await enrollmentRow(page, bsnFor(staying)).waitFor();
    expect(await enrollmentRow(page, bsnFor(staying)).textContent()).toContain('Counts');
    // After the transfer the learner counts at B, the school that enrolled them last (art 10).
    expect(await enrollmentRow(page, leaving).textContent()).toContain('Does not count: counts through another enrollment');
    expect(await notice(page, leaving).textContent()).toContain('from 6 Jan 2025');
    await notice(page, leaving).getByRole('button', { name: 'End enrollment on 5 Jan 2025' }).waitFor();
    const absence = page.locator('#absence-reports tr').filter({ hasText: bsnFor(staying) });
    await absence.waitFor();
    expect(await absence.textContent()).toMatch(/Other.*Registered/);
    await screenshot(page, 'school-page');
  });

  it("keeps out a token that is not a school's, and one the register refuses, saying why", async () => {
    const page = await newPage();
    await page.goto(new URL('/school', system.url).href);
    const tokenField = page.getByLabel('Your school’s token');
    const error = page.getByRole('alert').filter({ hasText: /\S/ });

    await tokenField.fill(await system.token({ role: 'OPERATOR' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await error.filter({ hasText: 'This is not a school’s token' }).waitFor();

    // Signed with another secret: it names the school, but the gateway refuses it.
    const [header, , signature] = a.token.split('.');
    const forged = [
      header,
      Buffer.from(JSON.stringify({ role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 })).toString('base64url'),
      signature,
    ].join('.');
    await tokenField.fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await error.filter({ hasText: 'Signed out:' }).waitFor();
    expect(await page.locator('#school').isHidden()).toBe(true);
    expect(await tokenField.evaluate((field) => field === field.ownerDocument.activeElement)).toBe(true);
  });

  it("shows a transfer made through the API on the old school's page as it happens, without a reload", async () => {
    const page = await newPage();
    await signIn(page);
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));

    const { pgn } = await transfer(++learner);

    // The enrollment at A (its funding status appeared), then the notice, each as it happened.
    await enrollmentRow(page, pgn).waitFor();
    await notice(page, pgn).waitFor();
    expect(await page.locator('#updates').textContent()).toContain(`New transfer notice: Learner ${pgn} enrolls at`);
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await screenshot(page, 'school-page-transfer-live');
  });

  it('handles a notice from the keyboard: the notice leaves the list and the enrollment ends the day before the new start', async () => {
    const { pgn, enrollmentAtA } = await transfer(++learner);
    const page = await newPage();
    await signIn(page);
    const button = notice(page, pgn).getByRole('button', { name: 'End enrollment on 5 Jan 2025' });

    await button.focus();
    await page.keyboard.press('Enter');

    await notice(page, pgn).waitFor({ state: 'detached' });
    await enrollmentRow(page, pgn).filter({ hasText: '5 Jan 2025 (transfer)' }).waitFor();
    expect(await page.locator('#updates').textContent()).toContain(`Handled: the enrollment of learner ${pgn} ends on 5 Jan 2025.`);
    // Focus goes on to the next notice (or the list's heading), not back to the top of the page.
    // (document.activeElement, not :focus, which holds only while the browser window has focus)
    expect(
      await page
        .locator('#notices button, #notices-heading')
        .evaluateAll((elements) => elements.some((element) => element === element.ownerDocument.activeElement)),
    ).toBe(true);
    const stored = await system.query<{ enrollment: { endDate: string; endReason: string } }>('query($id: ID!) { enrollment(id: $id) { endDate endReason } }', {
      variables: { id: enrollmentAtA },
      token: a.token,
    });
    expect(stored.data!.enrollment).toEqual({ endDate: '2025-01-05', endReason: 'TRANSFER' });
    await screenshot(page, 'school-page-handled');
  });

  it('resumes after a dropped connection from the cursor of the last notice, so that a notice issued meanwhile is not lost', async () => {
    const page = await newPage();
    const sockets: WebSocketRoute[] = [];
    const sent: { connection: number; message: { type: string; payload?: { query?: string; variables?: { after?: string | null } } } }[] = [];
    let lastNoticeCursor: string | undefined;
    let down = false;
    // Between the page and the gateway: passes every message on, and can cut the line.
    await page.routeWebSocket(
      (url) => url.pathname === '/graphql',
      (socket) => {
        if (down) return void socket.close({ code: 1012, reason: 'the test keeps the line down' });
        const connection = sockets.push(socket);
        const server = socket.connectToServer();
        socket.onMessage((message) => {
          sent.push({ connection, message: JSON.parse(String(message)) });
          server.send(message);
        });
        server.onMessage((message) => {
          const cursor = (JSON.parse(String(message)) as { payload?: { data?: { transferNoticeIssued?: { cursor: string } } } }).payload?.data
            ?.transferNoticeIssued?.cursor;
          if (cursor) lastNoticeCursor = cursor;
          socket.send(message);
        });
      },
    );
    await signIn(page);
    const before = await transfer(++learner);
    await notice(page, before.pgn).waitFor();
    const resumeFrom = lastNoticeCursor;
    expect(resumeFrom).toBeDefined();

    down = true;
    await Promise.all(sockets.map((socket) => socket.close({ code: 1012, reason: 'dropped by the test' })));
    await page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
    await eventually('the dropped subscriptions to end', () => subscribers() === 0, { deadline: 10_000 });
    const during = await transfer(++learner);
    down = false;

    await notice(page, during.pgn).waitFor();
    const resubscribed = sent.filter(
      ({ connection, message }) => connection > 1 && message.type === 'subscribe' && message.payload?.query?.includes('transferNoticeIssued'),
    );
    expect(resubscribed.map(({ message }) => message.payload?.variables?.after)).toContain(resumeFrom);
    expect(await notice(page, before.pgn).count()).toBe(1);
    await screenshot(page, 'school-page-resumed');
  });

  it('takes a result without an event for a break, never passing over it: it connects again and resumes from the cursor of the last notice', async () => {
    const page = await newPage();
    const sent: { connection: number; message: { type: string; payload?: { query?: string; variables?: { after?: string | null } } } }[] = [];
    let lastNoticeCursor: string | undefined;
    let connections = 0;
    let spoil = false;
    // Between the page and the gateway: passes every message on, but once in place of a notice an
    // incomplete result (the gateway never sends one; a client must not count on that).
    await page.routeWebSocket(
      (url) => url.pathname === '/graphql',
      (socket) => {
        const connection = ++connections;
        const server = socket.connectToServer();
        socket.onMessage((message) => {
          sent.push({ connection, message: JSON.parse(String(message)) });
          server.send(message);
        });
        server.onMessage((message) => {
          const parsed = JSON.parse(String(message)) as { id?: string; type: string; payload?: { data?: { transferNoticeIssued?: { cursor: string } } } };
          const cursor = parsed.payload?.data?.transferNoticeIssued?.cursor;
          if (cursor && spoil) {
            spoil = false;
            return socket.send(
              JSON.stringify({
                id: parsed.id,
                type: 'next',
                payload: { data: null, errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
              }),
            );
          }
          if (cursor) lastNoticeCursor = cursor;
          socket.send(message);
        });
      },
    );
    await signIn(page);
    const before = await transfer(++learner);
    await notice(page, before.pgn).waitFor();
    const resumeFrom = lastNoticeCursor;
    expect(resumeFrom).toBeDefined();

    spoil = true;
    const spoilt = await transfer(++learner);
    await notice(page, spoilt.pgn).waitFor();
    const resubscribed = sent.filter(
      ({ connection, message }) => connection > 1 && message.type === 'subscribe' && message.payload?.query?.includes('transferNoticeIssued'),
    );
    expect(resubscribed.map(({ message }) => message.payload?.variables?.after)).toEqual([resumeFrom]);
    expect(await notice(page, spoilt.pgn).count()).toBe(1);
    expect(await notice(page, before.pgn).count()).toBe(1);
  });

  it('opens the explorer at the GraphQL URL with nothing from outside localhost, and runs a query and a subscription with the token from its header editor', async () => {
    const page = await newPage();
    /** Replaces an editor's text as pasting would (typing would meet CodeMirror's closing brackets). */
    const replaceText = async (editor: Locator, text: string) => {
      await editor.locator('.CodeMirror').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.insertText(text);
    };
    /** Runs the operation once GraphiQL has read its name from the editor (the tab shows it). */
    const run = async (operationName: string) => {
      await page.locator('.graphiql-tab-active').filter({ hasText: operationName }).waitFor();
      await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
    };
    const result = page.locator('.result-window');

    await page.goto(system.url);
    await page.locator('.graphiql-container').waitFor();
    await replaceText(page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)'), JSON.stringify({ authorization: `Bearer ${a.token}` }));
    await page.getByRole('button', { name: 'Re-fetch GraphQL schema' }).click();
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    // The schema came by introspection with the token: the docs list the root types.
    await page.locator('.graphiql-doc-explorer').getByText('Subscription', { exact: true }).waitFor();

    await replaceText(page.locator('.graphiql-query-editor'), 'query School { branch(brin6: "16AH00") { name address { city } } }');
    await run('School');
    await result.filter({ hasText: "Openbare Basisschool 't Eenspan" }).waitFor();

    await replaceText(page.locator('.graphiql-query-editor'), 'subscription Notices { transferNoticeIssued { cursor notice { learnerPgn newStartDate } } }');
    await run('Notices');
    await eventually("the explorer's subscription", () => subscribers() === 1, { deadline: 10_000 });
    const { pgn } = await transfer(++learner);
    await result.filter({ hasText: pgn }).waitFor();
    expect(await result.textContent()).toContain('2025-01-06');
    await screenshot(page, 'explorer');
  });
});
