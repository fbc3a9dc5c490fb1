/*
 * The school page and the explorer in a real browser: Debian's Chromium, driven by playwright-core
 * (never a browser download), headless with the flags the machine notes give. No request may leave
 * localhost: every other one is failed and recorded, and each test checks there was none. The school
 * page's tests run in a Dutch browser and in an English one, each reading the page in its language.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type WebSocketRoute } from 'playwright-core';
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

/** What the school page says in a browser of each locale (web/school/texts.ts; dates as Intl writes them there). */
const readings = [
  {
    locale: 'nl-NL',
    lang: 'nl',
    languageName: 'Nederlands',
    heading: 'Schoolpagina',
    tokenLabel: 'Het token van uw school',
    signIn: 'Inloggen',
    counts: 'Telt mee',
    countsElsewhere: 'Telt niet mee: de leerling telt mee via een andere inschrijving',
    learner: (pgn: string) => `Leerling ${pgn} `,
    from: 'vanaf 6 januari 2025',
    endOn: 'Inschrijving beëindigen op 5 januari 2025',
    absence: /Overig verzuim.*Geregistreerd/,
    unknownBsn: (pgn: string) => `BSN onbekend: leerling ${pgn}`,
    notSchoolToken: 'Dit is geen token van een school',
    tokenRefused: 'Afgemeld: het token is verlopen of ongeldig.',
    forbidden: 'uw leverancier heeft geen machtiging (OSR) van het bevoegd gezag',
    newNotice: (pgn: string) => `Nieuwe melding: Leerling ${pgn} is ingeschreven bij`,
    endedByTransfer: '5 januari 2025 (overstap)',
    handled: (pgn: string) => `Verwerkt: de inschrijving van leerling ${pgn} eindigt op 5 januari 2025.`,
    connectionLost: 'Verbinding verbroken',
  },
  {
    locale: 'en-US',
    lang: 'en',
    languageName: 'English',
    heading: 'School page',
    tokenLabel: 'Your school’s token',
    signIn: 'Sign in',
    counts: 'Counts',
    countsElsewhere: 'Does not count: counts through another enrollment',
    learner: (pgn: string) => `Learner ${pgn} `,
    from: 'from January 6, 2025',
    endOn: 'End enrollment on January 5, 2025',
    absence: /Other absence.*Registered/,
    unknownBsn: (pgn: string) => `Unknown BSN: learner ${pgn}`,
    notSchoolToken: 'This is not a school’s token',
    tokenRefused: 'Signed out: the token has expired or is not valid.',
    forbidden: 'your vendor has no mandate (OSR) from the school board',
    newNotice: (pgn: string) => `New transfer notice: Learner ${pgn} enrolls at`,
    endedByTransfer: 'January 5, 2025 (transfer)',
    handled: (pgn: string) => `Handled: the enrollment of learner ${pgn} ends on January 5, 2025.`,
    connectionLost: 'Connection lost',
  },
];
type Reading = (typeof readings)[number];

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

type Sent = { type: string; payload?: { query?: string; variables?: { after?: string | null } } };
type Received = { id?: string; type: string; payload?: { data?: { transferNoticeIssued?: { cursor: string } } } };

/**
 * Stands between the page and the gateway's WebSocket and passes every message on. It keeps the
 * sockets, what the page sent on each connection, and the cursor of the last notice the page got.
 * `admit` may refuse a connection (false), `replace` may send something else in place of a message
 * from the gateway (true when it did).
 */
async function relay(page: Page, hooks: { admit?(socket: WebSocketRoute): boolean; replace?(message: Received, socket: WebSocketRoute): boolean } = {}) {
  const line = {
    sockets: [] as WebSocketRoute[],
    sent: [] as { connection: number; message: Sent }[],
    lastNoticeCursor: undefined as string | undefined,
    /** The `after` of each transfer-notice subscription the page made after its first connection. */
    resubscribedAfter: () =>
      line.sent
        .filter(({ connection, message }) => connection > 1 && message.type === 'subscribe' && message.payload?.query?.includes('transferNoticeIssued'))
        .map(({ message }) => message.payload?.variables?.after),
  };
  await page.routeWebSocket(
    (url) => url.pathname === '/graphql',
    (socket) => {
      if (hooks.admit && !hooks.admit(socket)) return;
      const connection = line.sockets.push(socket);
      const server = socket.connectToServer();
      socket.onMessage((message) => {
        line.sent.push({ connection, message: JSON.parse(String(message)) });
        server.send(message);
      });
      server.onMessage((message) => {
        const received = JSON.parse(String(message)) as Received;
        if (hooks.replace?.(received, socket)) return;
        line.lastNoticeCursor = received.payload?.data?.transferNoticeIssued?.cursor ?? line.lastNoticeCursor;
        socket.send(message);
      });
    },
  );
  return line;
}

describe.skipIf(!executablePath)(executablePath ? 'the school page and the explorer in Chromium' : `browser tests SKIPPED: ${skipReason}`, () => {
  let system: TestSystem;
  let a: School;
  let b: School;
  let browser: Browser;
  let learner = 90_000;
  const outside: string[] = [];
  const pageErrors: string[] = [];
  const pages: Page[] = [];

  const database = () => (system.config.databaseUrl ? 'postgres' : 'pglite');
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}-${database()}.png`), fullPage: true });

  /** A fresh context (its own storage, so no remembered language) in `locale`, whose requests may not leave localhost. */
  const newContext = async (locale: string) => {
    const context = await browser.newContext({ locale });
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
    return context;
  };

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

  const newPage = async (context: BrowserContext) => {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    pages.push(page);
    return page;
  };

  /** Opens /school and signs in as school A, as its administrator would, until the page is live. */
  const signIn = async (page: Page, reading: Reading) => {
    await page.goto(new URL('/school', system.url).href);
    await page.getByLabel(reading.tokenLabel).fill(a.token);
    await page.getByRole('button', { name: reading.signIn }).click();
    await page.getByRole('status').filter({ hasText: 'Live:' }).waitFor();
    // Its four subscriptions have reached the gateway: from here on nothing is missed.
    await eventually("the page's four subscriptions", () => subscribers() === 4, { deadline: 10_000 });
  };

  const notice = (page: Page, pgn: string, reading: Reading): Locator => page.locator('#notices li').filter({ hasText: reading.learner(pgn) });
  const enrollmentRow = (page: Page, pgn: string): Locator =>
    page.locator('#enrollments tr').filter({ has: page.getByRole('rowheader', { name: pgn, exact: true }) });

  beforeAll(async () => {
    system = await startTestSystem();
    [a, b] = (await Promise.all(['16AH00', '03WU00'].map((brin6) => schoolAt(system, brin6)))) as [School, School];
    browser = await chromium.launch({ executablePath, args: chromiumFlags, headless: true });
    await mkdir(screenshots, { recursive: true });
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    await eventually("the last test's subscriptions to end", () => subscribers() === 0, { deadline: 10_000 });
    expect(outside.splice(0)).toEqual([]);
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  describe.each(readings)('the school page in a browser with locale $locale', (reading) => {
    let context: BrowserContext;
    const { locale } = reading;
    beforeAll(async () => {
      context = await newContext(locale);
    });
    afterAll(() => context?.close());

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
      const page = await newPage(context);

      await signIn(page, reading);

      expect(await page.locator('html').getAttribute('lang')).toBe(reading.lang);
      await page
        .locator('#school-heading')
        .filter({ hasText: `${reading.heading} Openbare Basisschool 't Eenspan` })
        .waitFor();
      await enrollmentRow(page, bsnFor(staying)).waitFor();
      expect(await enrollmentRow(page, bsnFor(staying)).textContent()).toContain(reading.counts);
      // After the transfer the learner counts at B, the school that enrolled them last (art 10).
      expect(await enrollmentRow(page, leaving).textContent()).toContain(reading.countsElsewhere);
      expect(await notice(page, leaving, reading).textContent()).toContain(reading.from);
      await notice(page, leaving, reading).getByRole('button', { name: reading.endOn }).waitFor();
      const absence = page.locator('#absence-reports tr').filter({ hasText: bsnFor(staying) });
      await absence.waitFor();
      expect(await absence.textContent()).toMatch(reading.absence);
      // No persons file is imported in the tests: every BSN is unknown to the person source, a signal to the school.
      await page
        .locator('#signals li')
        .filter({ hasText: reading.unknownBsn(bsnFor(staying)) })
        .waitFor();
      await screenshot(page, `school-page-${locale}`);
    });

    it("keeps out a token that is not a school's, and one the register refuses, saying why", async () => {
      const page = await newPage(context);
      await page.goto(new URL('/school', system.url).href);
      const tokenField = page.getByLabel(reading.tokenLabel);
      const error = page.getByRole('alert').filter({ hasText: /\S/ });

      await tokenField.fill(await system.token({ role: 'OPERATOR' }));
      await page.getByRole('button', { name: reading.signIn }).click();
      await error.filter({ hasText: reading.notSchoolToken }).waitFor();

      // Signed with another secret: it names the school, but the gateway refuses it.
      const [header, , signature] = a.token.split('.');
      const forged = [
        header,
        Buffer.from(JSON.stringify({ role: 'VENDOR', vendorOin: '00000001800866472000', school: a.brin6 })).toString('base64url'),
        signature,
      ].join('.');
      await tokenField.fill(forged);
      await page.getByRole('button', { name: reading.signIn }).click();
      // In the page's words for UNAUTHENTICATED, not the register's English message.
      await error.filter({ hasText: reading.tokenRefused }).waitFor();
      expect(await page.locator('#school').isHidden()).toBe(true);
      expect(await tokenField.evaluate((field) => field === field.ownerDocument.activeElement)).toBe(true);
    });

    it("shows a transfer made through the API on the old school's page as it happens, without a reload", async () => {
      const page = await newPage(context);
      await signIn(page, reading);
      await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));

      const { pgn } = await transfer(++learner);

      // The enrollment at A (its funding status appeared), then the notice, each as it happened.
      await enrollmentRow(page, pgn).waitFor();
      await notice(page, pgn, reading).waitFor();
      expect(await page.locator('#updates').textContent()).toContain(reading.newNotice(pgn));
      expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
      await screenshot(page, `school-page-transfer-live-${locale}`);
    });

    it('handles a notice from the keyboard: the notice leaves the list and the enrollment ends the day before the new start', async () => {
      const { pgn, enrollmentAtA } = await transfer(++learner);
      const page = await newPage(context);
      await signIn(page, reading);
      const button = notice(page, pgn, reading).getByRole('button', { name: reading.endOn });

      await button.focus();
      await page.keyboard.press('Enter');

      await notice(page, pgn, reading).waitFor({ state: 'detached' });
      await enrollmentRow(page, pgn).filter({ hasText: reading.endedByTransfer }).waitFor();
      expect(await page.locator('#updates').textContent()).toContain(reading.handled(pgn));
      // Focus goes on to the next notice (or the list's heading), not back to the top of the page.
      // (document.activeElement, not :focus, which holds only while the browser window has focus)
      expect(
        await page
          .locator('#notices button, #notices-heading')
          .evaluateAll((elements) => elements.some((element) => element === element.ownerDocument.activeElement)),
      ).toBe(true);
      const stored = await system.query<{ enrollment: { endDate: string; endReason: string } }>(
        'query($id: ID!) { enrollment(id: $id) { endDate endReason } }',
        {
          variables: { id: enrollmentAtA },
          token: a.token,
        },
      );
      expect(stored.data!.enrollment).toEqual({ endDate: '2025-01-05', endReason: 'TRANSFER' });
      await screenshot(page, `school-page-handled-${locale}`);
    });

    it('resumes after a dropped connection from the cursor of the last notice, so that a notice issued meanwhile is not lost', async () => {
      const page = await newPage(context);
      let down = false;
      // Between the page and the gateway: passes every message on, and can cut the line.
      const line = await relay(page, {
        admit: (socket) => {
          if (down) void socket.close({ code: 1012, reason: 'the test keeps the line down' });
          return !down;
        },
      });
      await signIn(page, reading);
      const before = await transfer(++learner);
      await notice(page, before.pgn, reading).waitFor();
      const resumeFrom = line.lastNoticeCursor;
      expect(resumeFrom).toBeDefined();

      down = true;
      await Promise.all(line.sockets.map((socket) => socket.close({ code: 1012, reason: 'dropped by the test' })));
      await page.getByRole('status').filter({ hasText: reading.connectionLost }).waitFor();
      await eventually('the dropped subscriptions to end', () => subscribers() === 0, { deadline: 10_000 });
      const during = await transfer(++learner);
      down = false;

      await notice(page, during.pgn, reading).waitFor();
      expect(line.resubscribedAfter()).toContain(resumeFrom);
      expect(await notice(page, before.pgn, reading).count()).toBe(1);
      await screenshot(page, `school-page-resumed-${locale}`);
    });

    it('takes a result without an event for a break, never passing over it: it connects again and resumes from the cursor of the last notice', async () => {
      const page = await newPage(context);
      let spoil = false;
      // Between the page and the gateway: passes every message on, but once in place of a notice an
      // incomplete result (the gateway never sends one; a client must not count on that).
      const line = await relay(page, {
        replace: (message, socket) => {
          if (!spoil || !message.payload?.data?.transferNoticeIssued) return false;
          spoil = false;
          const incomplete = { data: null, errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
          socket.send(JSON.stringify({ id: message.id, type: 'next', payload: incomplete }));
          return true;
        },
      });
      await signIn(page, reading);
      const before = await transfer(++learner);
      await notice(page, before.pgn, reading).waitFor();
      const resumeFrom = line.lastNoticeCursor;
      expect(resumeFrom).toBeDefined();

      spoil = true;
      const spoilt = await transfer(++learner);
      await notice(page, spoilt.pgn, reading).waitFor();
      expect(line.resubscribedAfter()).toEqual([resumeFrom]);
      expect(await notice(page, spoilt.pgn, reading).count()).toBe(1);
      expect(await notice(page, before.pgn, reading).count()).toBe(1);
    });

    it('tells a school whose vendor has no mandate there why each part is missing, by the error code, in its words', async () => {
      // A vendor the register has no mandate of, acting for school A: every list is FORBIDDEN.
      const token = await system.token({ role: 'VENDOR', vendorOin: '00000001999999999000', school: a.brin6 });
      const page = await newPage(context);
      await page.goto(new URL('/school', system.url).href);
      await page.getByLabel(reading.tokenLabel).fill(token);
      await page.getByRole('button', { name: reading.signIn }).click();

      for (const section of ['notices', 'signals', 'enrollments', 'absence'])
        await page.locator(`#${section}-message`).filter({ hasText: reading.forbidden }).waitFor();
      expect(await page.locator('#school').textContent()).not.toContain('FORBIDDEN');
    });
  });

  it('switches a Dutch browser to English at the press of a button, keeps the school signed in, and remembers the choice', async () => {
    const [dutch, english] = readings as [Reading, Reading];
    const context = await newContext('nl-NL');
    try {
      const page = await newPage(context);
      await signIn(page, dutch);

      await page.getByRole('button', { name: english.languageName }).click();

      await page
        .locator('#school-heading')
        .filter({ hasText: `${english.heading} Openbare Basisschool 't Eenspan` })
        .waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.getByRole('button', { name: dutch.languageName }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Live:' }).waitFor();
      await eventually('the page in English to subscribe again', () => subscribers() === 4, { deadline: 10_000 });
      // Remembered: a new visit reads English in this Dutch browser, still signed in for this tab.
      await page.reload();
      await page
        .locator('#school-heading')
        .filter({ hasText: `${english.heading} Openbare Basisschool 't Eenspan` })
        .waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await screenshot(page, 'school-page-chosen-en');
    } finally {
      await Promise.all(pages.splice(0).map((page) => page.close()));
      await context.close();
    }
  });

  describe('the explorer in a browser', () => {
    let context: BrowserContext;
    beforeAll(async () => {
      context = await newContext('en-US');
    });
    afterAll(() => context?.close());

    it('opens the explorer at the GraphQL URL with nothing from outside localhost, and runs a query and a subscription with the token from its header editor', async () => {
      const page = await newPage(context);
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
});
