/*
 * The gateway's subscriptions: one upstream subscription to the owning subgraph per root field and
 * viewer, shared by its subscribers whatever they select (gateway/share.ts: it selects the union of
 * their selections, and each subscriber's answer is cut out of it); each event is completed once per
 * document and variables through the query plan and handed to every subscriber's bounded queue.
 */
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { GraphQLError, print, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { renderError } from '../kernel/errors.ts';
import { channel, type ClosedBy } from '../kernel/iterators.ts';
import { compareCursors, cursorBefore } from '../kernel/events.ts';
import type { OperationRequest } from '../kernel/subgraph.ts';
import type { Viewer } from '../kernel/viewer.ts';
import { Backoff, retry } from '../kernel/retry.ts';
import { isExpiry, startOf } from '../kernel/upstream.ts';
import type { SignedAssertion } from './assertions.ts';
import type { GatewayContext } from './gateway.ts';
import { eventSource, resumeVariable, type SubscriptionPlan, type SubscriptionPlanner } from './plan.ts';
import { covers, cut, primaryOf, printShared, project, projectionOf, shared, sizeOf, union, type Primary, type Projection, type Selection } from './share.ts';

/**
 * Opens a subscription at a subgraph for the signed viewer: the refusal as a result with errors, or
 * the events. The events end without error only when `return()` is called; anything else (the
 * subgraph went away) is thrown, and the gateway resumes from the last cursor it saw.
 */
export type UpstreamSubscribe = (
  request: OperationRequest,
  assertion: string,
) => Promise<FormattedExecutionResult | AsyncIterableIterator<FormattedExecutionResult>>;

export interface HubOptions {
  planner: SubscriptionPlanner;
  /** The subgraphs' data sources, for the entity fetches of each event. */
  dataSources: ServiceMap;
  /** Per subgraph name, how to open a subscription there. */
  upstreams: Map<string, UpstreamSubscribe>;
  /** The context a viewer's fetches carry (the viewer, signed for each subgraph asked, with the client's address for the audit log). */
  contextOf(viewer: Viewer, origin?: string): Promise<GatewayContext>;
  /** A new signed viewer for an upstream subscription at `subgraph`, which the upstream renews in time. */
  assertion(viewer: Viewer, subgraph: string, origin?: string): Promise<SignedAssertion>;
  /** Results a subscriber may leave unread before it is disconnected. */
  queue: number;
  /** How long an event is held while a part of the register it needs is out, in ms. */
  holdMs: number;
  log(message: string): void;
}

/**
 * Why a subscriber is let go (and with it its connection): it fell behind, or its next event could
 * not be completed within the hold, and it resumes `after` (the cursor right before that event).
 */
export type LetGo = { kind: 'fell-behind' } | { kind: 'unavailable'; after: string };

/**
 * Fields one shared upstream may select, at every depth: past it, a subscriber whose selection would
 * widen it shares only with subscribers that select the same (a document can select a field under
 * any number of argument values, and the shared selection must stay a query the subgraph accepts).
 */
const sharedFieldsBound = 200;

/**
 * Upstreams are shared by position. Two subscriptions of one group (same root field and arguments
 * but `after`, same viewer and address) that stand at the same place in the stream will receive
 * exactly the same events from there on, so they can share one upstream: those from now on (`live`),
 * and those whose `after` is where an upstream of the group has delivered up to and waits. A
 * subscriber joins the upstream standing at its place when that selects all it selects; otherwise a
 * new upstream, selecting both, takes the place, and the old one hands its subscribers over once
 * both reach the same position. An upstream that reaches the position of another one of its group
 * that selects all it does hands its subscribers over to it; so a thousand subscribers that resume
 * from the same cursor cost one upstream, and replays that catch up merge.
 */
export class SubscriptionHub {
  /** `<group>\n<cursor>` (or `live`): the upstream that stands there, waiting for its next event. */
  private readonly at = new Map<string, Upstream>();
  private readonly owner = new Map<Subscriber, Upstream>();
  /** Upstream subscriptions open now. */
  openUpstreams = 0;
  /** Events handed to subscribers since start, per stream (the subgraph that owns it): for /metrics. */
  readonly delivered = new Map<string, number>();

  constructor(readonly options: HubOptions) {}

  /**
   * Subscribes a viewer; `letGo` is called when the subscriber must go (LetGo says why), and should
   * disconnect it. Resolves to the refusal when the owning subgraph refuses at once. `origin`, the
   * client's address, goes with the viewer to the subgraphs, whose audit lines record it: so only
   * subscriptions from one address share an upstream.
   */
  async subscribe(
    viewer: Viewer,
    plan: SubscriptionPlan,
    variables: Record<string, unknown>,
    letGo: (why: LetGo) => void,
    origin?: string,
  ): Promise<Subscriber | readonly GraphQLFormattedError[]> {
    const after = plan.afterOf(variables);
    const primary = primaryOf(this.options.planner.supergraphSchema, plan.primary.document, variables);
    const upstream = this.upstreamFor({ serviceName: plan.serviceName, viewer, origin, after, primary, operationName: plan.primary.operationName });
    const { client } = plan;
    const projection = client.primaryOnly ? projectionOf(this.options.planner.apiSchema, client.document, client.operationName, variables) : undefined;
    const completion = { plan, variables, key: `${plan.id}\n${JSON.stringify(variables)}`, projection };
    const subscriber = new Subscriber(this.options.queue, completion, letGo, (self) => {
      this.owner.get(self)?.remove(self);
      this.owner.delete(self);
    });
    this.owner.set(subscriber, upstream);
    upstream.add(subscriber);
    const refused = await upstream.opened;
    if (!refused) return subscriber;
    await subscriber.return();
    return refused;
  }

  /**
   * The upstream standing where the subscriber starts, when it selects all the subscriber does; else
   * a new one, selecting what both do (or what the group's live one and the subscriber do), which
   * takes that place.
   */
  private upstreamFor(wanted: Omit<UpstreamSpec, 'group' | 'selection'> & { primary: Primary }): Upstream {
    const { serviceName, viewer, origin, after, primary } = wanted;
    let group = JSON.stringify([serviceName, primary.root, primary.rootArguments.map((argument) => print(argument)), viewer, origin ?? null]);
    const position = after ?? 'live';
    const standing = this.at.get(`${group}\n${position}`);
    if (standing && covers(standing.selection, primary.selection)) return standing;
    // A replay selects what the live upstream does too, so that it can hand over to or take over from it once caught up.
    const widen = standing ?? this.at.get(`${group}\nlive`);
    let selection = widen ? union(widen.selection, primary.selection) : primary.selection;
    if (sizeOf(selection) > sharedFieldsBound) {
      selection = primary.selection;
      group += `\n${printShared(primary, selection, 'Own')}`;
      const own = this.at.get(`${group}\n${position}`);
      if (own) return own;
    }
    const upstream = new Upstream(this, { ...wanted, group, selection });
    this.stand(`${group}\n${position}`, upstream);
    return upstream;
  }

  /**
   * The upstream has delivered up to `cursor` and waits: it joins another one standing there that
   * selects all it does, takes over one that selects less, or stands there itself.
   */
  settle(upstream: Upstream, cursor: string): void {
    const place = `${upstream.group}\n${cursor}`;
    const other = this.at.get(place);
    if (!other || other === upstream) return this.stand(place, upstream);
    if (covers(other.selection, upstream.selection)) return this.handOver(upstream, other);
    if (!covers(upstream.selection, other.selection)) return;
    this.handOver(other, upstream);
    this.stand(place, upstream);
  }

  /** The upstream moves on from `cursor`: nobody may join it there any more. */
  unsettle(upstream: Upstream, cursor: string | null): void {
    const place = `${upstream.group}\n${cursor}`;
    if (this.at.get(place) !== upstream) return;
    this.at.delete(place);
    upstream.places.delete(place);
  }

  /** Frees every place the upstream held. */
  release(upstream: Upstream): void {
    for (const place of upstream.places) if (this.at.get(place) === upstream) this.at.delete(place);
    upstream.places.clear();
  }

  private stand(place: string, upstream: Upstream): void {
    this.at.set(place, upstream);
    upstream.places.add(place);
  }

  private handOver(from: Upstream, to: Upstream): void {
    for (const subscriber of from.take()) {
      this.owner.set(subscriber, to);
      to.add(subscriber);
    }
    const live = `${from.group}\nlive`;
    if (this.at.get(live) === from) this.stand(live, to);
    from.close();
  }

  countDelivered(stream: string, events: number): void {
    this.delivered.set(stream, (this.delivered.get(stream) ?? 0) + events);
  }

  stats(): { upstreams: number; subscribers: number } {
    return { upstreams: this.openUpstreams, subscribers: this.owner.size };
  }
}

/** An upstream subscription as opened, and when to renew its viewer assertion. */
interface Opened {
  events: AsyncIterableIterator<FormattedExecutionResult>;
  renewAt: number;
}

interface UpstreamSpec {
  serviceName: string;
  viewer: Viewer;
  origin: string | undefined;
  after: string | null;
  /** The root field and its arguments, as the subscriber that opened it sent them. */
  primary: Primary;
  /** The name it goes by at the subgraph (in its audit lines): the opening subscriber's. */
  operationName: string | undefined;
  /** Same root field, arguments and viewer: the subscriptions that may share an upstream. */
  group: string;
  /** What it selects: at least what each of its subscribers does. */
  selection: Selection;
}

/** What a subscriber's events are completed with: subscribers with the same key share each completion. */
interface Completion {
  plan: SubscriptionPlan;
  /** The client's variables, which the rest of the plan uses. */
  variables: Record<string, unknown>;
  key: string;
  /** Set when the primary fetch alone answers the document: its answer is copied out of the shared one. */
  projection: Projection[] | undefined;
}

/** Distinct completions of one event run at most this many at a time: each may fetch from other subgraphs. */
const completionsAtOnce = 64;

class Upstream {
  /** The first opening: resolves to the refusal, if the subgraph refused. */
  readonly opened: Promise<readonly GraphQLFormattedError[] | undefined>;
  private readonly subscribers = new Set<Subscriber>();
  /** Where in the hub it stands (SubscriptionHub.at). */
  readonly places = new Set<string>();
  private lastCursor: string | null;
  /** The shared subscription's text, and the name it goes by: the opening subscriber's operation's, or its root field's. */
  private readonly query: string;
  private readonly operationName: string;
  private source: AsyncIterableIterator<FormattedExecutionResult> | undefined;
  private closed = false;
  /** Aborted when it closes: whatever it is trying again stops, and a wait ends at once. */
  private readonly closing = new AbortController();
  /** The waits before opening again after a break: they grow with each break until an event comes through. */
  private readonly reconnecting = new Backoff(100, 5000);
  /** When the viewer assertion is renewed, and the subscription a renewal opened, for `pump` to move to. */
  private renewal: NodeJS.Timeout | undefined;
  private renewed: AsyncIterableIterator<FormattedExecutionResult> | undefined;
  /** The source has said where it starts: it is open, so an UNAUTHENTICATED after that is its expiry. */
  private started = false;

  constructor(
    private readonly hub: SubscriptionHub,
    private readonly spec: UpstreamSpec,
  ) {
    this.lastCursor = spec.after;
    this.operationName = spec.operationName ?? spec.primary.root;
    this.query = printShared(spec.primary, spec.selection, this.operationName);
    hub.openUpstreams++;
    this.opened = this.connect().then(
      (opened) => {
        if (Array.isArray(opened)) {
          this.close();
          return opened;
        }
        void this.pump(opened as AsyncIterableIterator<FormattedExecutionResult>);
        return undefined;
      },
      (error: unknown) => {
        this.close();
        throw error;
      },
    );
  }

  get group(): string {
    return this.spec.group;
  }

  get selection(): Selection {
    return this.spec.selection;
  }

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
  }

  /** Its subscribers, which leave it: it is handing them over. */
  take(): Subscriber[] {
    const taken = [...this.subscribers];
    this.subscribers.clear();
    return taken;
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.close();
  }

  /** Ends the upstream subscription at once: the subgraph's reader and listener go with it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.hub.openUpstreams--;
    this.hub.release(this);
    clearTimeout(this.renewal);
    void this.source?.return?.();
    void this.renewed?.return?.();
  }

  private async connect(): Promise<readonly GraphQLFormattedError[] | AsyncIterableIterator<FormattedExecutionResult>> {
    const opened = await this.open();
    if (Array.isArray(opened)) return opened;
    const { events, renewAt } = opened as Opened;
    if (this.closed) void events.return?.();
    this.source = events;
    this.started = false;
    this.renewBy(renewAt);
    return events;
  }

  /** The subscription at the owning subgraph, from the last cursor, with a new signed viewer. */
  private async open(): Promise<readonly GraphQLFormattedError[] | Opened> {
    const { serviceName, viewer, origin } = this.spec;
    const subscribe = this.hub.options.upstreams.get(serviceName);
    if (!subscribe) throw new Error(`No upstream for subgraph ${serviceName}`);
    const assertion = await this.hub.options.assertion(viewer, serviceName, origin);
    const opened = await subscribe({ query: this.query, operationName: this.operationName, variables: { [resumeVariable]: this.lastCursor } }, assertion.text);
    if (!(Symbol.asyncIterator in opened)) return opened.errors ?? [{ message: 'The subscription was refused', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
    return { events: opened, renewAt: assertion.renewAt };
  }

  private renewBy(at: number): void {
    clearTimeout(this.renewal);
    this.renewal = setTimeout(() => void this.renew(), Math.max(0, at - Date.now()));
  }

  /**
   * Renews the viewer assertion before it expires, when the subgraph would end the subscription
   * (kernel/upstream.ts): opens it afresh, after the last cursor handled, and has `pump` move over to
   * it once the old one has given what it was giving. Events the new one repeats are dropped by their
   * cursor (`handle`), so nothing is lost or delivered twice. A subgraph out of reach is tried again
   * every second, until a break has `pump` open a new subscription (which renews itself) meanwhile.
   */
  private async renew(): Promise<void> {
    // Until the subgraph has said where the subscription starts, a new one could only start from now.
    if (this.lastCursor === null) return this.renewBy(Date.now() + 100);
    const before = this.source;
    const tried = await retry(async () => (this.source === before ? this.open() : undefined), { waits: 1000, signal: this.closing.signal });
    if (tried.kind !== 'done' || tried.value === undefined) return;
    const opened = tried.value;
    if (Array.isArray(opened)) return this.fail(opened as readonly GraphQLFormattedError[]);
    const { events, renewAt } = opened as Opened;
    if (this.closed || this.source !== before) return void events.return?.();
    this.renewed = events;
    this.renewBy(renewAt);
    void before?.return?.();
  }

  /**
   * Takes the events in order, one at a time. When the subgraph goes away it connects again with the
   * last cursor it delivered (`reopen`), until it is back.
   */
  private async pump(source: AsyncIterableIterator<FormattedExecutionResult>): Promise<void> {
    for (;;) {
      try {
        for await (const result of source) {
          if (this.closed) return;
          await this.handle(result);
          this.reconnecting.reset();
          // One subscriber is served at its own pace, never faster than its socket takes it, so a
          // long replay does not overflow its queue. Among several, one that falls behind is let go.
          const [only, ...others] = this.subscribers;
          if (only && others.length === 0) await only.room();
          if (this.closed) return;
          if (this.lastCursor !== null) this.hub.settle(this, this.lastCursor);
        }
      } catch (error) {
        if (!this.closed && !this.renewed) this.hub.options.log(`subscription to ${this.spec.serviceName} lost (${(error as Error).message}); resuming`);
      }
      if (this.closed) return;
      // Opened afresh by a renewal: no break, nothing to wait for.
      const next = this.takeRenewed() ?? (await this.reopen());
      if (!next) return;
      source = next;
    }
  }

  /**
   * The subscription opened again after a break, from the last cursor, after a wait that grows with
   * each break, up to 5 s, until an event comes through; or the one a renewal opened meanwhile.
   * Undefined when it closed, or the subgraph refused it (which its subscribers are told).
   */
  private async reopen(): Promise<AsyncIterableIterator<FormattedExecutionResult> | undefined> {
    const reopened = await retry(
      async () => {
        const renewed = this.takeRenewed();
        if (renewed) return renewed;
        const opened = await this.connect();
        // An outage at the subgraph (its database, say) is waited out as a lost connection is.
        if (Array.isArray(opened) && opened.some(worthReopening)) throw new Error(`${this.spec.serviceName} cannot open the subscription now`);
        return opened;
      },
      { waits: this.reconnecting, waitFirst: true, signal: this.closing.signal },
    );
    if (reopened.kind !== 'done') return undefined;
    if (Array.isArray(reopened.value)) return void this.fail(reopened.value as readonly GraphQLFormattedError[]);
    return reopened.value as AsyncIterableIterator<FormattedExecutionResult>;
  }

  private takeRenewed(): AsyncIterableIterator<FormattedExecutionResult> | undefined {
    const renewed = this.renewed;
    this.renewed = undefined;
    if (renewed) [this.source, this.started] = [renewed, false];
    return renewed;
  }

  private async handle(result: FormattedExecutionResult): Promise<void> {
    const start = startOf(result);
    if (start !== undefined) {
      // Where a subscription from now on starts: from here on, it can resume without a gap.
      this.lastCursor ??= start;
      this.started = true;
      return;
    }
    // Before its start, an UNAUTHENTICATED is a refusal at opening (over graphql-ws it comes as a result).
    if (this.started && isExpiry(result)) throw new Error('its viewer assertion expired');
    if (!result.data) return this.ended(result.errors);
    const cursor = (result.data[this.spec.primary.root] as { cursor?: string } | null)?.cursor;
    // A resumed upstream can repeat what came before the break: each event goes out once.
    if (cursor && this.lastCursor !== null && compareCursors(cursor, this.lastCursor) <= 0) return;
    // Moving past the last cursor: a subscriber resuming there from now on gets an upstream that
    // replays this event, rather than joining this one while the event is completed.
    if (cursor) this.hub.unsettle(this, this.lastCursor);
    const completed = await this.held(result, cursor);
    if (!completed) return;
    if (cursor) this.lastCursor = cursor;
    let delivered = 0;
    for (const subscriber of this.subscribers) {
      // One that joined live as the event was being completed was not there when it happened.
      const answer = completed.get(subscriber.completion.key);
      if (answer && subscriber.push(answer)) delivered++;
    }
    this.hub.countDelivered(this.spec.serviceName, delivered);
  }

  /**
   * The event completed, or undefined: it is held, and with it every later event of this upstream,
   * while a part of the register it needs is out, and tried again, waiting longer each time up to
   * 5 s. After `holdMs` the subscribers are let go with 4503, to resume right before it. So it is
   * delivered complete or not yet, never skipped; a refusal (FORBIDDEN, NOT_FOUND) is part of it.
   */
  private async held(result: FormattedExecutionResult, cursor: string | undefined): Promise<Map<string, FormattedExecutionResult> | undefined> {
    const { holdMs, log } = this.hub.options;
    const stream = this.spec.serviceName;
    let since: number | undefined;
    const tried = await retry(() => this.completeAll(result, cursor), {
      waits: new Backoff(100, 5000),
      giveUpAfterMs: holdMs,
      signal: this.closing.signal,
      onRetry: (outage, failures) => {
        if (failures > 1) return;
        since = Date.now();
        log(`an event of ${stream} could not be completed (${(outage as Error).message}); holding it and those after it`);
      },
    });
    if (tried.kind === 'stopped') return undefined;
    if (tried.kind === 'gave-up') {
      log(`an event of ${stream} could not be completed within ${holdMs / 1000} s; its subscribers resume right before it`);
      // The plan selects the root field's cursor: an event that reached other subgraphs has one.
      this.letGo(cursorBefore(cursor!));
      return undefined;
    }
    if (since !== undefined) log(`an event of ${stream} completed after ${Math.round((Date.now() - since) / 1000)} s held`);
    return tried.value;
  }

  /**
   * The event completed for each completion its subscribers need, by key, also for those that join
   * live while it is being completed. Throws what was out (`worthHolding`).
   */
  private async completeAll(result: FormattedExecutionResult, cursor: string | undefined): Promise<Map<string, FormattedExecutionResult>> {
    const answer = shared(result);
    const completed = new Map<string, FormattedExecutionResult>();
    for (;;) {
      const needed = new Map<string, Completion>();
      for (const { completion } of this.subscribers) if (!completed.has(completion.key)) needed.set(completion.key, completion);
      if (needed.size === 0) return completed;
      const pending = [...needed.values()];
      for (let from = 0; from < pending.length; from += completionsAtOnce) {
        const batch = pending.slice(from, from + completionsAtOnce);
        const results = await Promise.all(batch.map((completion) => this.complete(completion, answer, cursor)));
        batch.forEach((completion, index) => completed.set(completion.key, results[index]!));
      }
    }
  }

  /** Runs the rest of the plan for one event and one completion, as the viewer: the result, or it throws what was out (`worthHolding`). */
  private async complete(
    { plan, variables, projection }: Completion,
    answer: ReturnType<typeof shared>,
    cursor: string | undefined,
  ): Promise<FormattedExecutionResult> {
    if (projection && !answer.failed) return { data: project(answer.data, projection), ...(cursor ? { extensions: { cursor } } : {}) };
    const { planner, dataSources } = this.hub.options;
    const primary = cut(planner.supergraphSchema, plan.primary.document, variables, answer);
    const event: GraphQLDataSource = { process: async () => primary };
    const requestContext = {
      request: { variables },
      context: await this.hub.options.contextOf(this.spec.viewer, this.spec.origin),
      metrics: {},
      logger: console,
    };
    const executed = await executeQueryPlan(
      plan.eventPlan,
      { ...dataSources, [eventSource]: event },
      requestContext as unknown as Parameters<typeof executeQueryPlan>[2],
      plan.operationContext,
      planner.supergraphSchema,
      planner.api,
    );
    const outage = executed.errors?.find(worthHolding);
    if (outage) throw outage;
    const errors = executed.errors?.map((error) => renderError(error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError), error));
    // Every event carries its cursor, selected or not: where to resume after it (README).
    return { data: executed.data ?? null, ...(errors?.length ? { errors } : {}), ...(cursor ? { extensions: { cursor } } : {}) };
  }

  /** The subgraph ended the subscription: resumably (it could not deliver an event in time), or with a refusal. */
  private ended(errors: readonly GraphQLFormattedError[] | undefined): void {
    const first = errors?.[0]?.extensions;
    if (first?.code === 'UNAVAILABLE' && typeof first.after === 'string') return this.letGo(first.after);
    this.fail(errors ?? [{ message: 'The subgraph ended the subscription', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  }

  private fail(errors: readonly GraphQLFormattedError[]): void {
    for (const subscriber of this.subscribers) subscriber.fail(errors);
    this.close();
  }

  /** Lets every subscriber go, to resume `after`, once it has taken what it was handed before. */
  private letGo(after: string): void {
    for (const subscriber of this.subscribers) subscriber.unavailable(after);
    this.close();
  }
}

/** Codes that say a part of the register could not answer now, rather than what the answer is. */
const outageCodes = new Set(['INTERNAL_SERVER_ERROR', 'UNAVAILABLE', 'UNAUTHENTICATED', 'DOWNSTREAM_SERVICE_ERROR']);

/**
 * Whether an error met while completing an event is worth holding the event for: a part of the
 * register could not answer now (unreachable, timed out, UNAVAILABLE, an internal error;
 * UNAUTHENTICATED too: the gateway's signed viewer, never the client's), rather than that the error
 * is the answer for this viewer (FORBIDDEN, NOT_FOUND). Wider than kernel/errors.ts `isOutage`, which
 * decides what a client is answered: an event is never skipped, so anything that may pass is waited
 * out. An error without a code counts when a fetch threw it or a subgraph's HTTP status made it; one
 * that execution made of the answer's shape (a null where none may be) follows from the others.
 */
export function worthHolding(error: unknown): boolean {
  const extensions = (error as { extensions?: Record<string, unknown> } | undefined)?.extensions;
  const code = extensions?.code;
  if (typeof code === 'string') return outageCodes.has(code);
  return !(error instanceof GraphQLError) || extensions?.response !== undefined;
}

/**
 * Whether a refusal of an upstream subscription as it opens is worth opening it again for: as
 * `worthHolding`, but for UNAUTHENTICATED, which at opening is the subgraph refusing the gateway's
 * assertion (secrets or clocks that do not agree), passed on to the subscribers rather than retried
 * without end. An assertion that expires comes later, as a result (kernel/upstream.ts, `handle`).
 */
export function worthReopening(error: unknown): boolean {
  return (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code !== 'UNAUTHENTICATED' && worthHolding(error);
}

/**
 * One client subscription: a bounded channel read through the async-iterator protocol graphql-ws
 * uses. `return()` (the client unsubscribed or left) releases the upstream at once.
 */
export class Subscriber implements AsyncIterableIterator<FormattedExecutionResult> {
  private readonly results = channel<FormattedExecutionResult>((by) => this.closed(by));
  /** Set: it goes once what is queued is taken, to resume after this cursor. */
  private resumeAfter: string | undefined;
  private readonly ended: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    /** What its events are completed with. */
    readonly completion: Completion,
    private readonly letGo: (why: LetGo) => void,
    private readonly onEnd: (subscriber: Subscriber) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Runs `callback` once the subscription ends, however it ends. */
  whenEnded(callback: () => void): void {
    if (this.results.closed) callback();
    else this.ended.push(callback);
  }

  /** Hands on or queues `result`; false when it is not taken (the subscriber ended, or fell behind now). */
  push(result: FormattedExecutionResult): boolean {
    if (this.results.closed) return false;
    if (this.results.size < this.limit) return this.results.push(result);
    void this.return();
    this.letGo({ kind: 'fell-behind' });
    return false;
  }

  /** Resolves once the queue is at most half full (or the subscriber is gone): for a replay's pace. */
  room(): Promise<void> {
    if (this.results.closed || this.results.size <= this.limit / 2) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Ends the subscription with errors, after what is queued. */
  fail(errors: readonly GraphQLFormattedError[]): void {
    this.results.fail(asGraphQLError(errors[0]!));
  }

  /**
   * Lets it go, to resume after `after`, once it has taken what is queued: that was handed to it
   * before the event that could not be completed, and `after` lies past it.
   */
  unavailable(after: string): void {
    if (this.results.closed) return;
    this.resumeAfter ??= after;
    this.results.end();
  }

  async next(): Promise<IteratorResult<FormattedExecutionResult>> {
    const result = await this.results.next();
    if (this.results.size <= this.limit / 2) for (const resolve of this.roomWaiters.splice(0)) resolve();
    return result;
  }

  async return(): Promise<IteratorResult<FormattedExecutionResult>> {
    return this.results.return();
  }

  async throw(): Promise<IteratorResult<FormattedExecutionResult>> {
    return this.return();
  }

  /** Its channel closed: it leaves its upstream, and, let go as unavailable, its connection goes with it. */
  private closed(by: ClosedBy): void {
    this.onEnd(this);
    for (const callback of this.ended.splice(0)) callback();
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    if (by === 'ended' && this.resumeAfter !== undefined) this.letGo({ kind: 'unavailable', after: this.resumeAfter });
  }
}

/** graphql-ws sends a thrown error as an `error` message; the code survives through `extensions`. */
function asGraphQLError(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { extensions: error.extensions ?? {} });
}
