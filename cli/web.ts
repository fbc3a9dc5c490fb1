import { ensureWebBuild } from '../web/build.ts';
import { runCommand } from './command.ts';

// npm run build:web, and npm's prepare after npm ci: builds the web pages unless they are up to date.
runCommand(async () => {
  if ((await ensureWebBuild()) === 'fresh') console.log('web: the school page and the explorer are up to date');
});
