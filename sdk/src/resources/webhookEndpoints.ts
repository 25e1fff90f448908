import type { FeedEvent } from "./events.js";
import type { Transport } from "../http.js";
import { autoPaginate } from "../pagination.js";
import { path } from "../path.js";
import type { ListAllParams, ListPage, PageParams, RequestOptions } from "../types.js";
import type {
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookDeliverySummary,
  WebhookEndpoint,
  WebhookEndpointHealth,
  WebhookEndpointWithSecret,
  WebhookReplay,
} from "../webhookTypes.js";

export interface CreateWebhookEndpointParams {
  /**
   * https (live); the sandbox also takes http. Private addresses (localhost, the LAN) only on a server
   * started with BUFFMONEY_WEBHOOK_ALLOW_PRIVATE=sandbox: otherwise 422 webhook_url_not_allowed.
   */
  url: string;
  /** Event types to receive, e.g. ["wallet.debited", "invoice.paid"], or ["*"] for all. */
  eventTypes: string[];
  description?: string | null | undefined;
}

/** What to change; a member left out stays as it is (`description: null` clears it). */
export interface UpdateWebhookEndpointParams {
  url?: string | undefined;
  eventTypes?: string[] | undefined;
  description?: string | null | undefined;
}

/** Which events to send again: by type, by time (RFC 3339 with offset) or by ledger sequence. */
export interface ReplayWebhookEventsParams {
  eventTypes?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  fromSequence?: number | undefined;
  toSequence?: number | undefined;
}

export interface ListWebhookDeliveriesParams extends PageParams {
  status?: WebhookDeliveryStatus | undefined;
  eventType?: string | undefined;
  /** evt_<sequence>_<n>. */
  eventId?: string | undefined;
}

/** Where your events are sent, and what happened to each delivery. */
export class WebhookEndpoints {
  constructor(private readonly transport: Transport) {}

  /** The answer holds the signing secret, shown only now. */
  async create(
    params: CreateWebhookEndpointParams,
    options: RequestOptions = {},
  ): Promise<WebhookEndpointWithSecret> {
    return this.post("/v1/webhook-endpoints", params, options);
  }

  async list(): Promise<{ object: "list"; data: WebhookEndpoint[] }> {
    return this.transport.request({ method: "GET", path: "/v1/webhook-endpoints" });
  }

  async retrieve(endpointId: string): Promise<WebhookEndpoint> {
    return this.transport.request({ method: "GET", path: path`/v1/webhook-endpoints/${endpointId}` });
  }

  /** Changes the URL, event types or description; the signing secret stays. */
  async update(
    endpointId: string,
    params: UpdateWebhookEndpointParams,
    options: RequestOptions = {},
  ): Promise<WebhookEndpoint> {
    return this.transport.request({
      method: "PATCH",
      path: path`/v1/webhook-endpoints/${endpointId}`,
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** Deletes the endpoint: nothing more is sent to it, and it frees its place among the 16 allowed. */
  async del(
    endpointId: string,
    options: RequestOptions = {},
  ): Promise<{ id: string; object: "webhook_endpoint"; deleted: true }> {
    return this.transport.request({
      method: "DELETE",
      path: path`/v1/webhook-endpoints/${endpointId}`,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** A new secret, shown only now; the previous one keeps signing beside it for 24 hours. */
  async rotateSecret(endpointId: string, options: RequestOptions = {}): Promise<WebhookEndpointWithSecret> {
    return this.post(path`/v1/webhook-endpoints/${endpointId}/rotate-secret`, {}, options);
  }

  async enable(endpointId: string, options: RequestOptions = {}): Promise<WebhookEndpoint> {
    return this.post(path`/v1/webhook-endpoints/${endpointId}/enable`, {}, options);
  }

  async disable(endpointId: string, options: RequestOptions = {}): Promise<WebhookEndpoint> {
    return this.post(path`/v1/webhook-endpoints/${endpointId}/disable`, {}, options);
  }

  /** Sends past events again (at most 1,000 per call; continue from `throughSequence + 1`). */
  async replay(
    endpointId: string,
    params: ReplayWebhookEventsParams = {},
    options: RequestOptions = {},
  ): Promise<WebhookReplay> {
    return this.post(path`/v1/webhook-endpoints/${endpointId}/replay`, params, options);
  }

  async health(endpointId: string): Promise<WebhookEndpointHealth> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/webhook-endpoints/${endpointId}/health`,
    });
  }

  /** One page of the endpoint's deliveries, newest first, each with its last attempt. */
  async deliveries(
    endpointId: string,
    params: ListWebhookDeliveriesParams = {},
  ): Promise<ListPage<WebhookDeliverySummary>> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/webhook-endpoints/${endpointId}/deliveries`,
      query: {
        status: params.status,
        eventType: params.eventType,
        eventId: params.eventId,
        limit: params.limit,
        startingAfter: params.startingAfter,
      },
    });
  }

  /** Every delivery, page by page: `for await (const delivery of …)`. */
  allDeliveries(
    endpointId: string,
    params: ListAllParams<ListWebhookDeliveriesParams> = {},
  ): AsyncGenerator<WebhookDeliverySummary, void, undefined> {
    const { pageSize, ...filters } = params;
    return autoPaginate((startingAfter) =>
      this.deliveries(endpointId, { ...filters, limit: pageSize, startingAfter }),
    );
  }

  /** A delivery with every attempt (status, latency, response excerpt). */
  async delivery(deliveryId: string): Promise<WebhookDelivery> {
    return this.transport.request({ method: "GET", path: path`/v1/webhook-deliveries/${deliveryId}` });
  }

  /** The event a delivery carries, as it was sent. */
  async deliveryEvent(deliveryId: string): Promise<FeedEvent> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/webhook-deliveries/${deliveryId}/event`,
    });
  }

  /** Tries a delivery again now. */
  async retryDelivery(deliveryId: string, options: RequestOptions = {}): Promise<WebhookDelivery> {
    return this.post(path`/v1/webhook-deliveries/${deliveryId}/retry`, {}, options);
  }

  private post<T>(requestPath: string, body: unknown, options: RequestOptions): Promise<T> {
    return this.transport.request({
      method: "POST",
      path: requestPath,
      body,
      idempotencyKey: options.idempotencyKey,
    });
  }
}
