import { ensureWebBuild } from '../web/build.ts';

/**
 * Vitest's global setup: builds the web pages once, before any test file starts a gateway (which
 * serves what web/dist holds), and only when they are missing or stale. One build for the run, so
 * that test files in parallel never build over each other.
 */
export default async function setup(): Promise<void> {
  await ensureWebBuild((message) => console.log(message));
}
