import { createHash, randomBytes } from "node:crypto";
import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { newId } from "../domain/ids.js";
import { KeyedTurns } from "../domain/keyedTurns.js";
import { limits } from "../domain/limits.js";
import { webhookUrlRefusal, type WebhookUrlPolicy } from "../domain/webhookUrls.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp, LoggedFact } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";
import type { DisabledEndpointFact } from "./eventPayloads.js";
import type { SecretBox } from "./secretBox.js";

export interface EndpointSecret {
  /** `whsec_` + base64 of 24 random bytes. */
  secret: string;
  createdAt: number;
  /** Set when a newer secret replaced it: until then it still signs. */
  expiresAt: number | null;
}

export type DisabledReason = DisabledEndpointFact["reason"];

export interface WebhookEndpoint {
  id: string;
  env: Environment;
  merchantId: string;
  url: string;
  /** Event types, or ["*"] for all. */
  eventTypes: string[];
  description: string | null;
  status: "enabled" | "disabled";
  disabledReason: DisabledReason | null;
  createdAt: number;
  /**
   * Newest first. In memory only as plaintext: the index entry keeps them sealed under the server
   * key, and the ledger records a hash of each.
   */
  secrets: EndpointSecret[];
  /** Events of records after this one (its creation, or its last enabling) are delivered… */
  activeFrom: number;
  /** …up to, not including, the record that disabled it. */
  activeUntil: number | null;
}

export type EndpointChange = "created" | "enabled" | "disabled" | "rotated" | "updated" | "deleted";

/** What an update may change; a member left out stays as it is. */
export interface EndpointChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
}
export type EndpointListener = (change: EndpointChange, endpoint: WebhookEndpoint) => void;

/** The system, when the outbox disables a failing endpoint. */
export type EndpointActor = Actor | { kind: "system" };

/** Why webhooks may not go to a URL under a policy; null when they may. */
export type WebhookUrlCheck = (url: string, policy: WebhookUrlPolicy) => Promise<string | null>;

export interface EndpointDirectoryOptions {
  secretBox: SecretBox;
  /** Which environments may send to private addresses. */
  urlPolicy: (env: Environment) => WebhookUrlPolicy;
  /** Checks resolved addresses too (bin/ injects it); otherwise only the URL itself is checked. */
  checkUrl?: WebhookUrlCheck | undefined;
}

/** An endpoint as its index entry keeps it: each secret sealed. */
type StoredEndpoint = Omit<WebhookEndpoint, "secrets"> & {
  secrets: (Omit<EndpointSecret, "secret"> & { sealed?: string; secret?: string })[];
};

const endpointPrefix = "x!we!";
const endpointKey = (id: string) => `${endpointPrefix}${id}`;
const scopeOf = (env: string, merchantId: string) => `${env}!${merchantId}`;
const secretContext = (endpointId: string) => `webhook_endpoint:${endpointId}`;

function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

const secretDigest = (secret: string) => createHash("sha256").update(secret).digest("hex").slice(0, 16);

export function subscribes(endpoint: WebhookEndpoint, eventType: string): boolean {
  return endpoint.eventTypes.includes("*") || endpoint.eventTypes.includes(eventType);
}

/** The secrets that sign a message sent at `now`: the current one first. */
export function signingSecrets(endpoint: WebhookEndpoint, now: number): string[] {
  return endpoint.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);
}

/**
 * Webhook endpoints of each merchant and environment. Each change is a ledger record (listed in
 * the audit trail) written with the endpoint's index entry; all endpoints are held in memory.
 */
export class WebhookEndpointDirectory {
  private readonly byId = new Map<string, WebhookEndpoint>();
  /** Endpoints of each merchant and environment: the outbox asks this for every record. */
  private readonly byScope = new Map<string, Map<string, WebhookEndpoint>>();
  private readonly creating = new Map<string, number>();
  private readonly changing = new KeyedTurns();
  private readonly listeners = new Set<EndpointListener>();

  private readonly checkUrl: WebhookUrlCheck;

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
    private readonly options: EndpointDirectoryOptions,
  ) {
    this.checkUrl = options.checkUrl ?? ((url, policy) => Promise.resolve(webhookUrlRefusal(url, policy)));
  }

  /** Opens every sealed secret: a wrong server key stops the start here. Seals any stored in plaintext. */
  async load(): Promise<void> {
    const unsealed: IndexOp[] = [];
    for await (const value of this.log.db.values({ gte: endpointPrefix, lt: `${endpointPrefix}~` })) {
      const stored = JSON.parse(value) as StoredEndpoint;
      const endpoint = this.opened(stored);
      if (stored.secrets.some((s) => s.sealed === undefined)) unsealed.push(this.indexOp(endpoint));
      this.put(endpoint);
    }
    if (unsealed.length > 0) await this.log.db.batch(unsealed, { sync: true });
  }

  urlPolicy(env: Environment): WebhookUrlPolicy {
    return this.options.urlPolicy(env);
  }

  /**
   * Refuses a URL webhooks may not go to. A sandbox URL refused only for its private address (a
   * developer's local receiver) says how a server for one developer allows it.
   */
  private async requireAllowedUrl(env: Environment, url: string): Promise<void> {
    const policy = this.urlPolicy(env);
    const refusal = await this.checkUrl(url, policy);
    if (refusal === null) return;
    const privateOnly =
      env === "test" &&
      !policy.allowPrivate &&
      (await this.checkUrl(url, { ...policy, allowPrivate: true })) === null;
    const hint = privateOnly
      ? " (sandbox webhooks reach private addresses only on a server started with BUFFMONEY_WEBHOOK_ALLOW_PRIVATE=sandbox)"
      : "";
    throw new DomainError(
      "webhook_url_not_allowed",
      `webhooks cannot be sent to this URL: ${refusal}${hint}`,
    );
  }

  onChange(listener: EndpointListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  all(): WebhookEndpoint[] {
    return [...this.byId.values()];
  }

  byIdUnscoped(id: string): WebhookEndpoint | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. */
  list(env: string, merchantId: string): WebhookEndpoint[] {
    const endpoints = [...(this.byScope.get(scopeOf(env, merchantId))?.values() ?? [])];
    return endpoints.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  hasScope(env: string, merchantId: string): boolean {
    return this.byScope.has(scopeOf(env, merchantId));
  }

  require(env: Environment, merchantId: string, id: string): WebhookEndpoint {
    const endpoint = this.byId.get(id);
    if (!endpoint || endpoint.env !== env || endpoint.merchantId !== merchantId) {
      throw new DomainError("webhook_endpoint_not_found", `no webhook endpoint ${id}`);
    }
    return endpoint;
  }

  async create(
    env: Environment,
    merchantId: string,
    input: { url: string; eventTypes: string[]; description: string | null },
    actor: Actor,
    idempotency?: (result: { endpoint: WebhookEndpoint; secret: string }) => { scope: string; op: IndexOp },
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    await this.requireAllowedUrl(env, input.url);
    const scope = scopeOf(env, merchantId);
    const pending = this.creating.get(scope) ?? 0;
    if (this.list(env, merchantId).length + pending >= limits.webhookEndpointsPerEnvironmentMax) {
      throw new DomainError(
        "webhook_endpoints_limit_reached",
        `at most ${limits.webhookEndpointsPerEnvironmentMax} webhook endpoints per environment`,
      );
    }
    this.creating.set(scope, pending + 1);
    try {
      const at = this.log.now();
      const secret = newSecret();
      const endpoint: WebhookEndpoint = {
        id: newId("we"),
        env,
        merchantId,
        ...input,
        status: "enabled",
        disabledReason: null,
        createdAt: at,
        secrets: [{ secret, createdAt: at, expiresAt: null }],
        activeFrom: this.log.nextSeq,
        activeUntil: null,
      };
      const result = { endpoint, secret };
      const fact = {
        type: "webhook_endpoint.created",
        endpointId: endpoint.id,
        ...input,
        secretSha256: secretDigest(secret),
        by: actor,
      };
      await this.write(endpoint, at, "webhook_endpoint.create", fact, idempotency?.(result));
      this.notify("created", endpoint);
      return result;
    } finally {
      const left = (this.creating.get(scope) ?? 1) - 1;
      if (left > 0) this.creating.set(scope, left);
      else this.creating.delete(scope);
    }
  }

  /** A new signing secret; the previous one keeps signing for the overlap (24 h). */
  rotateSecret(
    env: Environment,
    merchantId: string,
    id: string,
    actor: Actor,
    idempotency?: (result: { endpoint: WebhookEndpoint; secret: string }) => { scope: string; op: IndexOp },
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    return this.serially(id, async () => {
      const current = this.require(env, merchantId, id);
      const at = this.log.now();
      const secret = newSecret();
      const previousExpiresAt = at + limits.webhookSecretOverlapMs;
      const kept = current.secrets
        .filter((s) => s.expiresAt === null || s.expiresAt > at)
        .map((s) => (s.expiresAt === null ? { ...s, expiresAt: previousExpiresAt } : s));
      const endpoint: WebhookEndpoint = {
        ...current,
        secrets: [{ secret, createdAt: at, expiresAt: null }, ...kept].slice(0, limits.webhookSecretsMax),
      };
      const result = { endpoint, secret };
      const fact = {
        type: "webhook_endpoint.secret_rotated",
        endpointId: id,
        secretSha256: secretDigest(secret),
        previousExpiresAt,
        by: actor,
      };
      await this.write(endpoint, at, "webhook_endpoint.rotate_secret", fact, idempotency?.(result));
      this.notify("rotated", endpoint);
      return result;
    });
  }

  /** Enables or disables; a no-op (no record) when the endpoint already is so. */
  setEnabled(
    env: Environment,
    merchantId: string,
    id: string,
    enabled: boolean,
    by: EndpointActor,
    options: {
      reason?: DisabledReason;
      idempotency?: ((endpoint: WebhookEndpoint) => { scope: string; op: IndexOp }) | undefined;
    } = {},
  ): Promise<WebhookEndpoint> {
    return this.serially(id, async () => {
      const current = this.require(env, merchantId, id);
      if ((current.status === "enabled") === enabled) return current;
      const at = this.log.now();
      const seq = this.log.nextSeq;
      const reason = options.reason ?? "manual";
      const endpoint: WebhookEndpoint = enabled
        ? { ...current, status: "enabled", disabledReason: null, activeFrom: seq, activeUntil: null }
        : { ...current, status: "disabled", disabledReason: reason, activeUntil: seq };
      const { url, eventTypes, description, createdAt } = current;
      const fact = enabled
        ? { type: "webhook_endpoint.enabled", endpointId: id, by }
        : {
            type: "webhook_endpoint.disabled",
            endpointId: id,
            reason,
            endpoint: { url, eventTypes, description, createdAt },
            by,
          };
      const command = enabled ? "webhook_endpoint.enable" : "webhook_endpoint.disable";
      await this.write(endpoint, at, command, fact, options.idempotency?.(endpoint));
      this.notify(enabled ? "enabled" : "disabled", endpoint);
      return endpoint;
    });
  }

  /**
   * Changes the URL, event types or description (the secret stays); a no-op (no record) when nothing
   * differs. Events already fanned out to it keep going to the URL they were queued for.
   */
  update(
    env: Environment,
    merchantId: string,
    id: string,
    changes: EndpointChanges,
    by: Actor,
    idempotency?: (endpoint: WebhookEndpoint) => { scope: string; op: IndexOp },
  ): Promise<WebhookEndpoint> {
    return this.serially(id, async () => {
      const current = this.require(env, merchantId, id);
      const changed: EndpointChanges = {};
      if (changes.url !== undefined && changes.url !== current.url) changed.url = changes.url;
      if (changes.eventTypes !== undefined && changes.eventTypes.join() !== current.eventTypes.join())
        changed.eventTypes = changes.eventTypes;
      if (changes.description !== undefined && changes.description !== current.description)
        changed.description = changes.description;
      if (Object.keys(changed).length === 0) return current;
      if (changed.url !== undefined) await this.requireAllowedUrl(env, changed.url);
      const endpoint: WebhookEndpoint = { ...current, ...changed };
      const fact = { type: "webhook_endpoint.updated", endpointId: id, ...changed, by };
      await this.write(endpoint, this.log.now(), "webhook_endpoint.update", fact, idempotency?.(endpoint));
      this.notify("updated", endpoint);
      return endpoint;
    });
  }

  /**
   * Deletes the endpoint: nothing more is sent to it, its id is unknown from now on, and it no longer
   * counts towards the limit. The ledger keeps its history (the record names its URL and types).
   */
  delete(
    env: Environment,
    merchantId: string,
    id: string,
    by: Actor,
    idempotency?: (endpoint: WebhookEndpoint) => { scope: string; op: IndexOp },
  ): Promise<WebhookEndpoint> {
    return this.serially(id, async () => {
      const current = this.require(env, merchantId, id);
      const { url, eventTypes, description, createdAt } = current;
      const fact = {
        type: "webhook_endpoint.deleted",
        endpointId: id,
        endpoint: { url, eventTypes, description, createdAt },
        by,
      };
      const at = this.log.now();
      const endpoint: WebhookEndpoint = {
        ...current,
        status: "disabled",
        disabledReason: "manual",
        activeUntil: this.log.nextSeq,
      };
      await this.write(endpoint, at, "webhook_endpoint.delete", fact, idempotency?.(endpoint), true);
      this.notify("deleted", endpoint);
      return endpoint;
    });
  }

  private async write(
    endpoint: WebhookEndpoint,
    at: number,
    command: string,
    fact: LoggedFact,
    idem: { scope: string; op: IndexOp } | undefined,
    deleted = false,
  ): Promise<void> {
    const ops: IndexOp[] = [
      deleted ? { type: "del", key: endpointKey(endpoint.id) } : this.indexOp(endpoint),
    ];
    if (idem) ops.push(idem.op);
    const { type: _fact, ...details } = fact;
    const record = await this.log.append(
      {
        env: endpoint.env,
        merchantId: endpoint.merchantId,
        entity: `webhook_endpoint:${endpoint.id}`,
        command: { ...details, type: command },
        facts: [fact],
        postings: [],
        keys: idem ? [idem.scope] : [],
        touches: [auditEntity(endpoint.env, endpoint.merchantId)],
      },
      at,
      ops,
    );
    if (deleted) this.remove(endpoint);
    else this.put(endpoint);
    this.onCommitted(record);
  }

  private indexOp(endpoint: WebhookEndpoint): IndexOp {
    const context = secretContext(endpoint.id);
    const stored: StoredEndpoint = {
      ...endpoint,
      secrets: endpoint.secrets.map(({ secret, ...times }) => ({
        sealed: this.options.secretBox.seal(secret, context),
        ...times,
      })),
    };
    return { type: "put", key: endpointKey(endpoint.id), value: JSON.stringify(stored) };
  }

  private opened(stored: StoredEndpoint): WebhookEndpoint {
    const context = secretContext(stored.id);
    const secrets = stored.secrets.map(({ sealed, secret, ...times }) => {
      if (sealed !== undefined) return { secret: this.options.secretBox.open(sealed, context), ...times };
      if (secret === undefined) throw new Error(`webhook endpoint ${stored.id} has a secret without a value`);
      return { secret, ...times };
    });
    return { ...stored, secrets };
  }

  private remove(endpoint: WebhookEndpoint): void {
    this.byId.delete(endpoint.id);
    const scope = scopeOf(endpoint.env, endpoint.merchantId);
    this.byScope.get(scope)?.delete(endpoint.id);
  }

  private put(endpoint: WebhookEndpoint): void {
    this.byId.set(endpoint.id, endpoint);
    const scope = scopeOf(endpoint.env, endpoint.merchantId);
    const inScope = this.byScope.get(scope) ?? new Map<string, WebhookEndpoint>();
    inScope.set(endpoint.id, endpoint);
    this.byScope.set(scope, inScope);
  }

  private notify(change: EndpointChange, endpoint: WebhookEndpoint): void {
    for (const listener of this.listeners) listener(change, endpoint);
  }

  /** One change at a time per endpoint. */
  private serially<T>(id: string, run: () => Promise<T>): Promise<T> {
    return this.changing.run(id, run);
  }
}
