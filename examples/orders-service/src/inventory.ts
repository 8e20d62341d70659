import { type FetchFunction, instrumentFetch } from "@groundwork/node";

/** Asks the inventory service whether an item is in stock. */
export type StockCheck = (item: string, signal: AbortSignal) => Promise<boolean>;

/** Raised when the inventory service cannot be reached or answers with an error. */
export class InventoryUnavailableError extends Error {
  /** The HTTP status the inventory answered, if it answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause: unknown }) {
    super(message, options);
    this.name = "InventoryUnavailableError";
    this.status = status;
  }
}

/**
 * A stock check over HTTP: `GET <baseUrl>/stock/<item>` answering
 * `{"in_stock": true|false}`. Calls go through `instrumentFetch()`, so each
 * is a CLIENT span carrying `traceparent` to the inventory service.
 *
 * An answer that is not JSON is a bug on the other side: the error
 * propagates, and `serve()` turns it into a 500.
 *
 * @param baseUrl - the inventory service's base URL
 * @param fetchFn - the `fetch` to use. Default: an instrumented global `fetch`.
 * @returns the check
 * @example
 * ```ts
 * const inStock = await stockCheck("http://127.0.0.1:9000")("widget", request.signal);
 * ```
 */
export function stockCheck(
  baseUrl: string,
  fetchFn: FetchFunction = instrumentFetch(),
): StockCheck {
  const base = baseUrl.replace(/\/+$/, "");
  return async (item, signal) => {
    let response: Response;
    try {
      response = await fetchFn(`${base}/stock/${encodeURIComponent(item)}`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]),
      });
    } catch (error) {
      throw new InventoryUnavailableError("inventory unreachable", undefined, { cause: error });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return false;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new InventoryUnavailableError(`inventory answered ${response.status}`, response.status);
    }
    const body = (await response.json()) as { in_stock?: unknown };
    return body.in_stock === true;
  };
}
