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
  /** The same for fields that are not strings (`apiKeys: {test, live}`): sealed as their JSON. */
  sealedJson?: string[];
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

  /**
   * The response to store with `fields` of its body sealed: secrets (a webhook secret, API keys)
   * never rest in plaintext. A string field is sealed as it is, any other as its JSON.
   */
  sealing(response: { status: number; body: unknown }, fields: string[]) {
    const body = { ...(response.body as Record<string, unknown>) };
    const sealed: string[] = [];
    const sealedJson: string[] = [];
    for (const field of fields) {
      const value = body[field];
      const text = typeof value === "string" ? value : JSON.stringify(value);
      (typeof value === "string" ? sealed : sealedJson).push(field);
      body[field] = this.secretBox.seal(text, sealedContext);
    }
    return {
      ...response,
      body,
      ...(sealed.length > 0 ? { sealed } : {}),
      ...(sealedJson.length > 0 ? { sealedJson } : {}),
    };
  }

  private opened({ sealed, sealedJson, ...response }: StoredResponse): StoredResponse {
    if (!sealed && !sealedJson) return response;
    const body = { ...(response.body as Record<string, unknown>) };
    const open = (field: string) => this.secretBox.open(String(body[field]), sealedContext);
    for (const field of sealed ?? []) body[field] = open(field);
    for (const field of sealedJson ?? []) body[field] = JSON.parse(open(field)) as unknown;
    return { ...response, body };
  }

  static entry(scope: string, response: StoredResponse): { scope: string; op: IndexOp } {
    return { scope, op: { type: "put", key: keys.idempotency(scope), value: JSON.stringify(response) } };
  }
}
