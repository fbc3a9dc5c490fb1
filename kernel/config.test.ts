import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, projectRoot, readConfig } from './config.ts';

const strongToken = 'a production token secret of more than 32 characters';
const strongViewer = 'a production viewer secret of more than 32 characters';

/** The message of the ConfigError `readConfig` throws for `env`. */
function problemsWith(env: Record<string, string | undefined>): string {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`readConfig accepted ${JSON.stringify(env)}`);
}

describe('readConfig', () => {
  it('runs everything embedded on port 4000 with PGlite under the project and seeds, when nothing is set', () => {
    const config = readConfig({});

    expect(config).toMatchObject({
      production: false,
      databaseUrl: undefined,
      dataDir: path.join(projectRoot, '.data', 'pglite'),
      host: '127.0.0.1',
      port: 4000,
      serve: 'embedded',
      seed: true,
    });
    expect(config.subgraphUrls).toEqual(new Map());
    expect(config.tokenSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.viewerSecret).not.toBe(config.tokenSecret);
  });

  it('gives a signed viewer a minute and a token a day at most, when nothing is set', () => {
    expect(readConfig({})).toMatchObject({ viewerAssertionLifetime: 60, tokenMaxLifetime: 86_400 });
  });

  it('reads VIEWER_ASSERTION_LIFETIME and TOKEN_MAX_LIFETIME as durations', () => {
    expect(readConfig({ VIEWER_ASSERTION_LIFETIME: '3s', TOKEN_MAX_LIFETIME: '7d' })).toMatchObject({ viewerAssertionLifetime: 3, tokenMaxLifetime: 604_800 });
  });

  it.each([
    ['VIEWER_ASSERTION_LIFETIME', '1s', 'must be between 2s and 1h'],
    ['VIEWER_ASSERTION_LIFETIME', '2h', 'must be between 2s and 1h'],
    ['TOKEN_MAX_LIFETIME', '31d', 'must be between 1m and 30d'],
    ['TOKEN_MAX_LIFETIME', '12', 'must be a duration like 60s, 30m, 12h or 7d'],
    ['TOKEN_MAX_LIFETIME', '1.5h', 'must be a duration like 60s, 30m, 12h or 7d'],
  ])('refuses %s=%s', (variable, value, message) => {
    expect(problemsWith({ [variable]: value })).toBe(`Invalid configuration:\n  ${variable}: ${message}`);
  });

  it('treats empty variables as unset', () => {
    expect(readConfig({ PORT: '', SERVE: '', DATABASE_URL: '' })).toMatchObject({ port: 4000, serve: 'embedded', databaseUrl: undefined });
  });

  it('accepts a PostgreSQL DATABASE_URL', () => {
    expect(readConfig({ DATABASE_URL: 'postgres://register:secret@db.internal:5432/register' }).databaseUrl).toBe(
      'postgres://register:secret@db.internal:5432/register',
    );
  });

  it.each(['mysql://register@db/register', 'not a url'])('refuses DATABASE_URL %j', (url) => {
    expect(problemsWith({ DATABASE_URL: url })).toContain('DATABASE_URL');
  });

  it('gives a request 30 s, a subgraph fetch 20 s, and on PostgreSQL a connection 5 s, a statement 30 s and an idle transaction 60 s, when nothing is set', () => {
    expect(readConfig({}).timeouts).toEqual({ requestMs: 30_000, subgraphMs: 20_000, connectMs: 5000, statementMs: 30_000, idleInTransactionMs: 60_000 });
  });

  it('reads the timeouts in seconds, fractions too', () => {
    const env = {
      REQUEST_TIMEOUT: '2.5',
      SUBGRAPH_TIMEOUT: '1',
      DATABASE_CONNECT_TIMEOUT: '0.5',
      DATABASE_STATEMENT_TIMEOUT: '600',
      DATABASE_IDLE_TRANSACTION_TIMEOUT: '10',
    };
    expect(readConfig(env).timeouts).toEqual({ requestMs: 2500, subgraphMs: 1000, connectMs: 500, statementMs: 600_000, idleInTransactionMs: 10_000 });
  });

  it.each(['0', '-1', 'soon', '86401'])('refuses the timeout %j', (value) => {
    const problems = problemsWith({ REQUEST_TIMEOUT: value, DATABASE_STATEMENT_TIMEOUT: value });
    expect(problems).toContain('REQUEST_TIMEOUT');
    expect(problems).toContain('DATABASE_STATEMENT_TIMEOUT');
  });

  it('reads PORT, HOST and SEED', () => {
    expect(readConfig({ PORT: '8080', HOST: '0.0.0.0', SEED: 'false' })).toMatchObject({ port: 8080, host: '0.0.0.0', seed: false });
  });

  it('logs at info and sends no traces, when nothing is set', () => {
    expect(readConfig({})).toMatchObject({
      logLevel: 'info',
      traces: { exporter: 'none', endpoint: 'http://localhost:4318/v1/traces', serviceName: 'register-graph' },
    });
  });

  it('reads LOG_LEVEL and the OpenTelemetry exporter, endpoint and service name', () => {
    const config = readConfig({
      LOG_LEVEL: 'debug',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.internal:4318/v1/traces',
      OTEL_SERVICE_NAME: 'register',
    });
    expect(config).toMatchObject({
      logLevel: 'debug',
      traces: { exporter: 'otlp', endpoint: 'https://collector.internal:4318/v1/traces', serviceName: 'register' },
    });
  });

  it('names the service after what the process serves, when OTEL_SERVICE_NAME is unset', () => {
    expect(readConfig({ SERVE: 'learners', DATABASE_URL: 'postgres://localhost/register' }).traces.serviceName).toBe('register-graph-learners');
  });

  it('holds an event for 60 s and pings every 12 s, unless EVENT_HOLD_SECONDS and KEEPALIVE_SECONDS say otherwise', () => {
    expect(readConfig({}).subscriptions).toMatchObject({ holdMs: 60_000, keepAliveMs: 12_000 });
    expect(readConfig({ EVENT_HOLD_SECONDS: '2.5', KEEPALIVE_SECONDS: '30' }).subscriptions).toMatchObject({ holdMs: 2500, keepAliveMs: 30_000 });
  });

  it.each([
    ['EVENT_HOLD_SECONDS', '0'],
    ['KEEPALIVE_SECONDS', 'often'],
    ['LOG_LEVEL', 'verbose'],
    ['OTEL_TRACES_EXPORTER', 'jaeger'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector:4318'],
  ])('refuses %s=%s', (variable, value) => {
    expect(problemsWith({ [variable]: value })).toMatch(new RegExp(`^Invalid configuration:\n {2}${variable}: `));
  });

  it.each(['abc', '65536', '-1', '80.5'])('refuses PORT=%s', (port) => {
    expect(problemsWith({ PORT: port })).toMatch(/^Invalid configuration:\n {2}PORT: /);
  });

  it('lists every problem in one error, naming each variable', () => {
    const message = problemsWith({ PORT: 'abc', SERVE: 'institutions', SUBGRAPH_URLS: 'institutions' });

    expect(message).toMatch(/^Invalid configuration:\n/);
    expect(message).toContain('  PORT: ');
    expect(message).toContain('  DATABASE_URL: ');
    expect(message).toContain('  SUBGRAPH_URLS: ');
  });

  it('asks a separate gateway for the subgraph URLs but not for a database', () => {
    const message = problemsWith({ SERVE: 'gateway' });

    expect(message.split('\n').slice(1)).toEqual(['  SUBGRAPH_URLS: SERVE=gateway needs the URL of every subgraph']);
    expect(readConfig({ SERVE: 'gateway', SUBGRAPH_URLS: 'institutions=http://127.0.0.1:4001/graphql' }).databaseUrl).toBeUndefined();
  });

  it('lets one subgraph run in its own process against PostgreSQL', () => {
    expect(readConfig({ SERVE: 'institutions', DATABASE_URL: 'postgres://localhost/register' }).serve).toBe('institutions');
    expect(problemsWith({ SERVE: 'institutions' })).toMatch(/DATABASE_URL: SERVE=institutions .*needs PostgreSQL/);
  });

  it.each([
    [{}, ['TOKEN_SECRET', 'VIEWER_SECRET']],
    [{ TOKEN_SECRET: strongToken }, ['VIEWER_SECRET']],
    [{ VIEWER_SECRET: strongViewer }, ['TOKEN_SECRET']],
  ])('refuses the development secrets in production (%j)', (secrets, named) => {
    const message = problemsWith({ NODE_ENV: 'production', ...secrets });

    for (const name of ['TOKEN_SECRET', 'VIEWER_SECRET']) {
      if (named.includes(name)) expect(message).toContain(`${name}: must be set in production`);
      else expect(message).not.toContain(name);
    }
  });

  it('starts in production with secrets of its own', () => {
    const config = readConfig({ NODE_ENV: 'production', TOKEN_SECRET: strongToken, VIEWER_SECRET: strongViewer });

    expect(config).toMatchObject({ production: true, tokenSecret: strongToken, viewerSecret: strongViewer });
  });

  it('serves the explorer in development and not in production, unless EXPLORER says otherwise', () => {
    const production = { NODE_ENV: 'production', TOKEN_SECRET: strongToken, VIEWER_SECRET: strongViewer };

    expect(readConfig({}).explorer).toBe(true);
    expect(readConfig({ EXPLORER: 'false' }).explorer).toBe(false);
    expect(readConfig(production).explorer).toBe(false);
    expect(readConfig({ ...production, EXPLORER: 'true' }).explorer).toBe(true);
    expect(problemsWith({ EXPLORER: 'yes' })).toContain('EXPLORER');
  });

  it('signals absolute absence after 20 school days unless LEERPLICHT_SIGNAL_SCHOOL_DAYS says otherwise', () => {
    expect(readConfig({}).leerplicht).toEqual({ signalSchoolDays: 20 });
    expect(readConfig({ LEERPLICHT_SIGNAL_SCHOOL_DAYS: '0' }).leerplicht).toEqual({ signalSchoolDays: 0 });
    for (const value of ['-1', '2.5', '201', 'ten']) expect(problemsWith({ LEERPLICHT_SIGNAL_SCHOOL_DAYS: value })).toContain('LEERPLICHT_SIGNAL_SCHOOL_DAYS');
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(problemsWith({ TOKEN_SECRET: 'short' })).toContain('TOKEN_SECRET: at least 32 characters');
  });

  it('parses SUBGRAPH_URLS into a map from subgraph name to URL', () => {
    const config = readConfig({
      SERVE: 'gateway',
      DATABASE_URL: 'postgres://localhost/register',
      SUBGRAPH_URLS: 'institutions=http://127.0.0.1:4001/graphql, enrolments=https://enrolments.internal:4002/graphql ,',
    });

    expect(config.subgraphUrls).toEqual(
      new Map([
        ['institutions', 'http://127.0.0.1:4001/graphql'],
        ['enrolments', 'https://enrolments.internal:4002/graphql'],
      ]),
    );
  });

  it.each(['institutions', 'institutions=ftp://127.0.0.1/graphql', 'Institutions=http://127.0.0.1:4001', 'institutions = http://127.0.0.1:4001'])(
    'refuses the SUBGRAPH_URLS entry %j',
    (entry) => {
      const message = problemsWith({ SUBGRAPH_URLS: `enrolments=http://127.0.0.1:4002/graphql,${entry}` });

      expect(message).toContain('SUBGRAPH_URLS');
      expect(message).toContain(JSON.stringify(entry.trim()));
    },
  );

  it.each(['memory://', 'memory://register'])('keeps DATA_DIR=%s as it is', (dataDir) => {
    expect(readConfig({ DATA_DIR: dataDir }).dataDir).toBe(dataDir);
  });

  it('resolves a relative DATA_DIR to an absolute path', () => {
    expect(readConfig({ DATA_DIR: 'tmp/pglite' }).dataDir).toBe(path.resolve('tmp/pglite'));
  });
});
