/** Queued API failures: the next N calls of an operation answer with a chosen channel error. */

export interface ApiFault {
  /** Operation name (WeChat: `native`, `query`…; Alipay: the method, e.g. `alipay.trade.query`) or `*`. */
  operation: string;
  /** The channel's error code: WeChat `SYSTEM_ERROR`; Alipay sub_code `ACQ.SYSTEM_ERROR`. */
  code: string;
  /** WeChat: HTTP status; Alipay: gateway `code` (`40004`, `20000`…). Defaults per channel. */
  status?: number | undefined;
  message?: string | undefined;
  /** How many calls it applies to (default 1). */
  times?: number | undefined;
}

export interface ApiFaultQueue {
  add(fault: ApiFault): void;
  take(operation: string): ApiFault | undefined;
  clear(): void;
  list(): readonly ApiFault[];
}

export function createApiFaultQueue(): ApiFaultQueue {
  let faults: Array<ApiFault & { remaining: number }> = [];
  return {
    add(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    take(operation) {
      const index = faults.findIndex((f) => f.operation === operation || f.operation === "*");
      const fault = faults[index];
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults.splice(index, 1);
      return fault;
    },
    clear() {
      faults = [];
    },
    list: () => faults,
  };
}
