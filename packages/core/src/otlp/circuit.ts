import { monotonicNow } from "@groundwork/platform";

/**
 * Whether sends may go to the endpoint. After `threshold` failed sends in a row the circuit
 * opens: sends fail at once without a request. Once the open period has passed it half-opens
 * and lets one send through as a probe: a success closes it, a failure opens it again for
 * twice as long (up to `maxOpenMs`).
 */
export interface Circuit {
  /** `true` if a send may start now; a half-open circuit admits one probe at a time. */
  admit(): boolean;
  /** Records the end of an admitted send. */
  record(succeeded: boolean): void;
}

/** Failed sends in a row that open the circuit. */
const THRESHOLD = 2;
/** The first open period; later ones double, up to {@link MAX_OPEN_MS}. */
const MIN_OPEN_MS = 1000;
/** The longest open period: a healed collector gets data again within this. */
const MAX_OPEN_MS = 4000;

export function createCircuit(now: () => number = monotonicNow): Circuit {
  let failures = 0;
  let openUntil = 0;
  let openMs = MIN_OPEN_MS;
  let probing = false;
  return {
    admit() {
      if (failures < THRESHOLD) return true;
      if (probing || now() < openUntil) return false;
      probing = true;
      return true;
    },
    record(succeeded) {
      if (succeeded) {
        failures = 0;
        openMs = MIN_OPEN_MS;
        probing = false;
        return;
      }
      failures++;
      if (failures < THRESHOLD) return;
      if (probing) openMs = Math.min(openMs * 2, MAX_OPEN_MS);
      probing = false;
      openUntil = now() + openMs;
    },
  };
}
