import type { IncomingMessage } from "node:http";
import { type LazyAbort, requestUrl, type ToRequestOptions, toRequest } from "./request";

// Methods the fetch API refuses in a Request: answered 400 before the
// handler runs, as an eager Request would be.
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * The request a handler receives, built when the handler first uses it.
 *
 * `new Request()` is the largest single cost of serving a small request on
 * Node 20 (undici parses the URL, copies the headers, makes an
 * `AbortController` and, for a body, a web stream). A handler that answers
 * without looking at the request, or looks only at `method`, `url` or
 * `signal`, should not pay for it. The handler still gets a `Request` in
 * every respect it can observe: a `Proxy` whose prototype is
 * `Request.prototype` and whose every other operation — property reads and
 * writes, `in`, `Object.keys`, the fetch internals' own reads — goes to the
 * real `Request`, made on the first of them. `instanceof`, `new
 * Request(request)`, `request.clone()`, `fetch(request)` and the body methods
 * work because undici reads a request's state through property keys.
 *
 * Where it keeps that state in private class fields instead (Node 24's
 * undici), nothing but the real object passes its checks: {@link
 * LAZY_REQUESTS} is then false and the request is built before the handler
 * runs, as before.
 */
export interface LazyRequest {
  /** What the handler receives. */
  readonly request: Request;
  /** Whether the real `Request` has been made (the handler used it). */
  readonly built: boolean;
  /** Why the real `Request` could not be made, once it was tried and failed. */
  readonly failure: unknown;
}

class LazyRequestHandler implements ProxyHandler<object>, LazyRequest {
  request!: Request;
  failure: unknown;
  private real: Request | undefined;
  private url: string | undefined;

  constructor(
    private readonly make: () => Request,
    private readonly method: string,
    private readonly href: () => string,
    private readonly abort: LazyAbort | undefined,
  ) {}

  get built(): boolean {
    return this.real !== undefined;
  }

  private target(): Request {
    if (this.real !== undefined) return this.real;
    if (this.failure !== undefined) throw this.failure;
    try {
      this.real = this.make();
    } catch (error) {
      this.failure = error;
      throw error;
    }
    return this.real;
  }

  get(_target: object, key: string | symbol): unknown {
    if (this.real === undefined) {
      // What a Request would answer, without making one.
      if (key === "method") return this.method;
      if (key === "url") {
        if (this.url === undefined) {
          try {
            // Request serialises its URL: the same parse gives the same text.
            this.url = new URL(this.href()).href;
          } catch {
            // The Request constructor throws the error the handler sees.
            return this.target().url;
          }
        }
        return this.url;
      }
      if (key === "signal" && this.abort !== undefined) return this.abort.signal;
    }
    // Accessors run on the real object: undici's getters and methods find
    // their state on it, whatever the receiver.
    return Reflect.get(this.target(), key);
  }

  set(_target: object, key: string | symbol, value: unknown): boolean {
    return Reflect.set(this.target(), key, value);
  }

  has(_target: object, key: string | symbol): boolean {
    if (this.real === undefined && key in Request.prototype) return true;
    return Reflect.has(this.target(), key);
  }

  ownKeys(): ArrayLike<string | symbol> {
    return Reflect.ownKeys(this.target());
  }

  getOwnPropertyDescriptor(target: object, key: string | symbol): PropertyDescriptor | undefined {
    const descriptor = Reflect.getOwnPropertyDescriptor(this.target(), key);
    // A Proxy may report a non-configurable property only if its target has it.
    if (descriptor !== undefined && descriptor.configurable === false) {
      Reflect.defineProperty(target, key, descriptor);
    }
    return descriptor;
  }

  defineProperty(target: object, key: string | symbol, descriptor: PropertyDescriptor): boolean {
    const done = Reflect.defineProperty(this.target(), key, descriptor);
    if (done && descriptor.configurable === false) Reflect.defineProperty(target, key, descriptor);
    return done;
  }

  deleteProperty(_target: object, key: string | symbol): boolean {
    return Reflect.deleteProperty(this.target(), key);
  }
}

function wrap(
  make: () => Request,
  method: string,
  href: () => string,
  abort: LazyAbort | undefined,
): LazyRequestHandler {
  const handler = new LazyRequestHandler(make, method, href, abort);
  // The target only lends the prototype: `instanceof Request` and
  // `Object.getPrototypeOf` answer without making the request.
  handler.request = new Proxy(Object.create(Request.prototype) as object, handler) as Request;
  return handler;
}

/**
 * Whether a request made on first use passes for a real `Request` with this
 * runtime's fetch implementation: checked once, on a request made the same
 * way, by what a handler would do with it.
 */
export const LAZY_REQUESTS: boolean = (() => {
  try {
    const probe = wrap(
      () =>
        new Request("http://probe.invalid/p?q", {
          method: "POST",
          headers: { "x-probe": "1" },
          body: "probe",
        }),
      "POST",
      () => "http://probe.invalid/p?q",
      undefined,
    ).request;
    // The clone first: the copy takes the body over.
    const clone = Request.prototype.clone.call(probe);
    const copy = new Request(probe, { headers: { "x-copy": "1" } });
    return (
      probe instanceof Request &&
      copy.method === "POST" &&
      copy.url === "http://probe.invalid/p?q" &&
      copy.headers.get("x-copy") === "1" &&
      copy.body instanceof ReadableStream &&
      clone.headers.get("x-probe") === "1" &&
      Object.prototype.toString.call(probe) === "[object Request]"
    );
  } catch {
    return false;
  }
})();

/**
 * The `Request` for an incoming message: made on first use where the
 * runtime allows it (see {@link LAZY_REQUESTS}), else now. A method the fetch
 * API refuses, or a URL it cannot parse on the eager path, throws now.
 *
 * @param req - the incoming message
 * @param options - scheme, body limit, abort signal, overflow callback
 * @param lazy - whether to defer the `Request` at all (default {@link LAZY_REQUESTS})
 * @returns the request and its state
 * @throws TypeError when the fetch API refuses the method (or, on the eager
 *   path, the URL or headers)
 */
export function incomingRequest(
  req: IncomingMessage,
  options: ToRequestOptions,
  lazy: boolean = LAZY_REQUESTS,
): LazyRequest {
  const method = req.method ?? "GET";
  if (!lazy || FORBIDDEN_METHODS.has(method.toUpperCase())) {
    const request = toRequest(req, options);
    return { request, built: true, failure: undefined };
  }
  return wrap(
    () => toRequest(req, options),
    method,
    () => requestUrl(req, options.scheme),
    options.abort,
  );
}
