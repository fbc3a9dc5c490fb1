/*
 * The gateway's entity cache (issue 20; docs/architecture.md, "The entity cache"): entity fetches of
 * the subgraphs whose answers change only through events, answered from memory until the event that
 * changes them. Apollo Router caches entities for a time (its `entity_cache` with a TTL); this
 * register knows from its own streams exactly when an answer changes, so an entry lives until then
 * and is never served after it.
 *
 * Exactness rests on three rules:
 *  1. Before a fetch reads the cache, every event committed by then in the streams the cache follows
 *     is applied (`StreamFollower.fresh`): a reader who saw a commit (its own mutation's answer, a
 *     subscription's event) never gets what that commit changed from before it.
 *  2. Each class names what changes its answers, from the inputs of the subgraph that gives them:
 *     the event that names the entity drops that entity, any other relevant event drops the class.
 *  3. An answer fetched while an event of its class was applied is passed on but not kept.
 *
 * Keys hold the viewer (what it may see decides the answer), the day (answers that read today), the
 * fetch's selection and other variables, and the entity's representation.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { enrollmentEventTypes, personEventTypes } from '../contracts/learners.ts';
import type { Db } from '../kernel/db.ts';
import { readChanges, type StoredEvent } from '../kernel/events.ts';
import { withinDeadline } from '../kernel/http.ts';
import type { Metrics } from '../kernel/metrics.ts';
import { today } from '../kernel/scalars.ts';
import type { Viewer } from '../kernel/viewer.ts';
import type { GatewayContext } from './gateway.ts';

type Change = Pick<StoredEvent, 'type' | 'keys'>;
/** What an event changes in a class: the entities with these tags, every entity (`all`), or nothing (null). */
type Effect = string[] | 'all' | null;

interface CacheClass {
  name: string;
  subgraph: string;
  /** The entity's own tag, by its representation; the subgraph's answer adds what else it read (kernel/subgraph.ts, `dependsOn`). */
  tagOf(representation: Record<string, unknown>): string | null;
  /** Per stream the class follows, what an event of it changes. */
  follows: Record<string, (event: Change) => Effect>;
}

/** The learners events funding copies (subgraphs/funding/copy.ts, learnersConsumer), but for PgnReplaced. */
const learnerEvents = new Set<string>([...enrollmentEventTypes, ...personEventTypes]);
const enrollmentTag = (id: unknown) => (typeof id === 'string' ? `enrollment:${id}` : null);

/** The enrollment and the learner an event names; `all` when it names no learner. */
function enrollmentAndLearner(event: Change): Effect {
  const learner = event.keys.learnerId;
  if (!learner) return 'all';
  const enrollment = enrollmentTag(event.keys.enrollmentId);
  return enrollment ? [enrollment, `learner:${learner}`] : [`learner:${learner}`];
}

/**
 * The classes, from what each subgraph's answers read (docs/architecture.md, "Events and subscriptions"):
 * - `rio`: the institutions subgraph's entities (branches, locations, providers, boards), RIO and the
 *   OSR mandates, changed only by the monthly RIO file, boards' changes, the operator's corrections
 *   and mandates, all in the institutions stream (an import that only records where the file differs
 *   writes the objects' events too: subgraphs/institutions/rules.ts).
 * - `funding`: the funding subgraph's fields of an enrollment (its funding status), which read every
 *   enrollment of its learner and the learner (one counts, another is a double enrollment), so funding
 *   tags each answer with its learner. From funding's own stream a changed status drops its
 *   enrollment and learner; a count date opened, run, or an extension granted, all. Of the learners
 *   events funding copies, one of an enrollment or a person drops the learner it names (all, when it
 *   names none); a PGN replaced, all (a merge moves enrollments from one learner to another). Any RIO
 *   or mandate event drops all (the institutions stream).
 */
const cacheClasses: readonly CacheClass[] = [
  { name: 'rio', subgraph: 'institutions', tagOf: () => null, follows: { institutions: () => 'all' } },
  {
    name: 'funding',
    subgraph: 'funding',
    tagOf: (representation) => (representation.__typename === 'Enrollment' ? enrollmentTag(representation.id) : null),
    follows: {
      funding: (event) => (event.type === 'FundingStatusChanged' ? enrollmentAndLearner(event) : 'all'),
      learners: (event) => (learnerEvents.has(event.type) ? enrollmentAndLearner(event) : event.type === 'PgnReplaced' ? 'all' : null),
      institutions: () => 'all',
    },
  },
];

interface Entry {
  value: unknown;
  tags: string[];
}

/** One class's entries: an LRU of at most `max`, with the keys of each tag, and a version that every drop moves. */
class ClassEntries {
  version = 0;
  private readonly tagged = new Map<string, Set<string>>();
  readonly entries: LRUCache<string, Entry>;

  constructor(max: number) {
    this.entries = new LRUCache<string, Entry>({
      max,
      dispose: (entry, key) => {
        for (const tag of entry.tags) {
          const keys = this.tagged.get(tag);
          keys?.delete(key);
          if (keys?.size === 0) this.tagged.delete(tag);
        }
      },
    });
  }

  put(key: string, value: unknown, tags: string[]): void {
    this.entries.set(key, { value, tags });
    for (const tag of tags) this.tagged.set(tag, (this.tagged.get(tag) ?? new Set()).add(key));
  }

  drop(effect: string[] | 'all'): void {
    this.version++;
    if (effect === 'all') return this.entries.clear();
    for (const tag of effect) for (const key of [...(this.tagged.get(tag) ?? [])]) this.entries.delete(key);
  }
}

/** Events read per stream in one round; more since the last means a load, and the class is dropped whole. */
const roundLimit = 1000;

/** How long a fetch waits for the streams to be read before it asks the subgraph instead: a slow database slows no cached read more. */
const freshWaitMs = 1000;

/**
 * Applies what the followed streams say to the cache. `fresh()` resolves once every event committed
 * before the call is applied: a round that began before the call cannot promise that, so a caller
 * joins the round queued after it, and all callers arriving during one round share the next.
 */
class StreamFollower {
  private cursors = new Map<string, string | null>();
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly streams: Map<string, (event: Change) => void>,
    private readonly dropAll: (stream: string) => void,
  ) {}

  fresh(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const after = this.running.catch(() => undefined);
    this.queued = after.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const round = this.round().finally(() => {
      if (this.running === round) this.running = undefined;
    });
    this.running = round;
    return round;
  }

  private async round(): Promise<void> {
    await Promise.all([...this.streams].map(([stream, apply]) => this.follow(stream, apply)));
  }

  private async follow(stream: string, apply: (event: Change) => void): Promise<void> {
    const known = this.cursors.get(stream) ?? null;
    const read = await readChanges(this.db, stream, known, roundLimit);
    // A stream never read: the cache holds nothing of it yet, so what came before does not matter.
    if (known === null) this.dropAll(stream);
    if (read.more) {
      this.dropAll(stream);
      this.cursors.set(stream, (await readChanges(this.db, stream, null, roundLimit)).cursor);
      return;
    }
    for (const event of read.events) apply(event);
    this.cursors.set(stream, read.cursor);
  }
}

export interface EntityCacheOptions {
  db: Db;
  /** Entries per class at most. */
  entries: number;
  metrics?: Metrics | undefined;
}

/** The cache of every class, and the follower that keeps it exact. */
export class EntityCache {
  private readonly classes = new Map<string, { spec: CacheClass; entries: ClassEntries }>();
  private readonly follower: StreamFollower;

  constructor(private readonly options: EntityCacheOptions) {
    for (const spec of cacheClasses) this.classes.set(spec.subgraph, { spec, entries: new ClassEntries(options.entries) });
    const streams = new Map<string, (event: Change) => void>();
    for (const stream of new Set(cacheClasses.flatMap((spec) => Object.keys(spec.follows)))) {
      streams.set(stream, (event) => {
        for (const { spec, entries } of this.classes.values()) {
          const effect = spec.follows[stream]?.(event) ?? null;
          if (effect !== null) this.drop(spec.name, entries, effect);
        }
      });
    }
    this.follower = new StreamFollower(options.db, streams, (stream) => {
      for (const { spec, entries } of this.classes.values()) if (spec.follows[stream]) this.drop(spec.name, entries, 'all');
    });
    options.metrics?.cacheSizesFrom(() => [...this.classes.values()].map(({ spec, entries }) => ({ name: spec.name, entries: entries.entries.size })));
  }

  private drop(name: string, entries: ClassEntries, effect: string[] | 'all'): void {
    entries.drop(effect);
    this.options.metrics?.countCacheDrop(name, effect === 'all' ? 'class' : 'entity');
  }

  /** The data source of `subgraph` with the cache in front of it; `source` itself when no class is of it. */
  wrap(subgraph: string, source: GraphQLDataSource<GatewayContext>): GraphQLDataSource<GatewayContext> {
    const found = this.classes.get(subgraph);
    return found ? new CachingDataSource(source, found.spec, found.entries, this.follower, this.options.metrics) : source;
  }
}

/**
 * The part of a key all entities of one fetch share (selection, other variables, viewer, day), as a
 * short id: a fetch's text is hundreds of characters, and a key per entity need not repeat it. An id
 * that falls out is given anew, and the entries under the old one age out unread.
 */
const prefixes = new LRUCache<string, string>({ max: 10_000 });
let lastPrefix = 0;
function keyPrefix(query: string, variables: Record<string, unknown>, viewer: Viewer): string {
  const { representations: _, ...others } = variables;
  const who =
    viewer.role === 'VENDOR'
      ? `${viewer.vendorOin}@${viewer.school}`
      : viewer.role === 'MUNICIPALITY'
        ? viewer.municipality
        : viewer.role === 'BOARD'
          ? viewer.board
          : '';
  const whole = `${viewer.role}:${who}\n${today()}\n${JSON.stringify(others)}\n${query}`;
  let id = prefixes.get(whole);
  if (id === undefined) prefixes.set(whole, (id = `${(++lastPrefix).toString(36)}:`));
  return id;
}

type EntityResult = {
  data?: { _entities?: unknown[] | null } | null;
  errors?: readonly GraphQLFormattedError[];
  extensions?: { dependsOn?: Record<string, string[]> } & Record<string, unknown>;
};

class CachingDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly source: GraphQLDataSource<GatewayContext>,
    private readonly spec: CacheClass,
    private readonly entries: ClassEntries,
    private readonly follower: StreamFollower,
    private readonly metrics: Metrics | undefined,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const { request } = options;
    const representations = request.variables?.representations;
    const viewer = (options.context as Partial<GatewayContext> | undefined)?.viewer;
    if (!Array.isArray(representations) || !viewer || !request.query?.includes('_entities')) return this.source.process(options);
    const fresh = await withinDeadline(
      this.follower.fresh().then(() => true),
      freshWaitMs,
    ).catch(() => false);
    if (!fresh) {
      // Not known to be exact now: asked, and nothing kept.
      this.metrics?.countCacheLookups(this.spec.name, 'bypass', representations.length);
      return this.source.process(options);
    }
    const version = this.entries.version;
    const prefix = keyPrefix(request.query, request.variables!, viewer);
    const keys = representations.map((representation) => prefix + JSON.stringify(representation));
    const answers = keys.map((key) => this.entries.entries.get(key)?.value);
    const missing = answers.flatMap((answer, i) => (answer === undefined ? [i] : []));
    this.metrics?.countCacheLookups(this.spec.name, 'hit', representations.length - missing.length);
    this.metrics?.countCacheLookups(this.spec.name, 'miss', missing.length);
    if (missing.length === 0) return { data: { _entities: answers } };
    const asked = missing.map((i) => representations[i] as Record<string, unknown>);
    const response = (await this.source.process({
      ...options,
      request: { ...request, variables: { ...request.variables, representations: asked } },
    })) as EntityResult;
    const { dependsOn, ...extensions } = response.extensions ?? {};
    const fetched = response.data?._entities;
    const errors = response.errors?.map((error) => inWholeFetch(error, missing));
    const passed = { ...response, extensions, ...(errors ? { errors } : {}) };
    if (!Array.isArray(fetched)) return passed;
    // An entity with an error is not kept, nor anything of an answer with an error that names no entity.
    const failed = new Set(response.errors?.map((error) => (error.path?.[0] === '_entities' ? error.path[1] : 'all')));
    const keep = !failed.has('all') && this.entries.version === version;
    missing.forEach((i, j) => {
      answers[i] = fetched[j];
      if (!keep || failed.has(j) || fetched[j] === undefined) return;
      const own = this.spec.tagOf(asked[j]!);
      this.entries.put(keys[i]!, fetched[j], [...(own ? [own] : []), ...(dependsOn?.[j] ?? [])]);
    });
    return { ...passed, data: { ...response.data, _entities: answers } };
  }
}

/** An error of the fetch of the missing entities, with its path in the fetch of all of them. */
function inWholeFetch(error: GraphQLFormattedError, missing: number[]): GraphQLFormattedError {
  const [root, index, ...rest] = error.path ?? [];
  if (root !== '_entities' || typeof index !== 'number') return error;
  return { ...error, path: [root, missing[index] ?? index, ...rest] };
}
