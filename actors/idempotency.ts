import { keys } from "../wal/keys.js";
import type { SecretBox } from "./secretBox.js";
import type { Log } from "../wal/log.js";
import type { IndexOp } from "../wal/record.js";

/** What a request with an Idempotency-Key left behind: its fingerprint and the response it got. */
export interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
  /** Top-level fields of the body kept sealed (secrets shown once), opened when replayed. */
  sealed?: string[];
}

const sealedContext = "idempotent_response";

export type IdempotencyClaim =
  | { kind: "fresh"; release: () => void }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "reused" }
  | { kind: "in_use" };

/**
 * Request idempotency. The stored response is written in the same batch as the change it
 * describes, so a crash never keeps one without the other. While a key is being executed, a
 * second request with it is refused (`idempotency_key_in_use`) rather than run twice.
 */
export class IdempotencyStore {
  private readonly inUse = new Set<string>();

  constructor(
    private readonly log: Log,
    private readonly secretBox: SecretBox,
  ) {}

  /** `tenant` is "admin" or "<env>!<merchantId>": keys of different tenants never meet. */
  static scope(tenant: string, key: string): string {
    return `${tenant}!${key}`;
  }

  async claim(scope: string, fingerprint: string): Promise<IdempotencyClaim> {
    if (this.inUse.has(scope)) return { kind: "in_use" };
    this.inUse.add(scope);
    let stored: string | undefined;
    try {
      stored = await this.log.get(keys.idempotency(scope));
    } catch (error) {
      this.inUse.delete(scope);
      throw error;
    }
    if (stored !== undefined) {
      this.inUse.delete(scope);
      const response = JSON.parse(stored) as StoredResponse;
      if (response.fingerprint !== fingerprint) return { kind: "reused" };
      return { kind: "replay", response: this.opened(response) };
    }
    return { kind: "fresh", release: () => this.inUse.delete(scope) };
  }

  /** The response to store with `fields` of its body sealed: secrets never rest in plaintext. */
  sealing(response: { status: number; body: unknown }, fields: string[]) {
    const body = { ...(response.body as Record<string, unknown>) };
    for (const field of fields) body[field] = this.secretBox.seal(String(body[field]), sealedContext);
    return { ...response, body, sealed: fields };
  }

  private opened({ sealed, ...response }: StoredResponse): StoredResponse {
    if (!sealed) return response;
    const body = { ...(response.body as Record<string, unknown>) };
    for (const field of sealed) body[field] = this.secretBox.open(String(body[field]), sealedContext);
    return { ...response, body };
  }

  static entry(scope: string, response: StoredResponse): { scope: string; op: IndexOp } {
    return { scope, op: { type: "put", key: keys.idempotency(scope), value: JSON.stringify(response) } };
  }
}
