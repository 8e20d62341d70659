// The Workers runtime objects the adapter touches, described structurally so the package
// compiles without `@cloudflare/workers-types`; the real runtime objects (and the types an
// application generates with `wrangler types`) satisfy them.

/** The third argument of every Workers handler. */
export interface ExecutionContextLike {
  /** Keeps the invocation alive until `promise` settles, after the response is sent. */
  waitUntil(promise: Promise<unknown>): void;
  /** Lets a thrown exception fall through to the origin (fetch handlers). */
  passThroughOnException?(): void;
}

/** The `request.cf` fields the adapter records when present. */
export interface IncomingRequestCfLike {
  readonly colo?: unknown;
  readonly country?: unknown;
  readonly asn?: unknown;
  readonly tlsVersion?: unknown;
  readonly httpProtocol?: unknown;
}

/** The controller passed to a `scheduled` handler. */
export interface ScheduledControllerLike {
  /** The cron expression that fired, `""` for a manual trigger. */
  readonly cron: string;
  /** When the event was scheduled, in Unix milliseconds. */
  readonly scheduledTime: number;
}

/** The batch passed to a `queue` handler. */
export interface MessageBatchLike {
  /** The queue's name. */
  readonly queue: string;
  /** The messages of the batch. */
  readonly messages: readonly unknown[];
}

/** The message passed to an `email` handler (the fields the adapter reads). */
export interface EmailMessageLike {
  /** The envelope sender. */
  readonly from: string;
  /** The envelope recipient. */
  readonly to: string;
  /** Size of the raw message in bytes. */
  readonly rawSize?: number;
  /** Rejects the message with a permanent SMTP error. */
  setReject(reason: string): void;
}

/** One event a `tail` handler receives (the fields the adapter reads). */
export interface TraceItemLike {
  /** The Worker the event comes from, `null` when unknown. */
  readonly scriptName: string | null;
  /** What ran: a request, a cron trigger, … (`consumedEvents` for a tail invocation). */
  readonly event: unknown;
  /** How it ended (`"ok"`, `"exception"`, …). */
  readonly outcome?: string;
}

/** A `fetch` function, as the runtime's. */
export type FetchFn = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
