import type { Context } from "koa";
import type { z } from "zod";

/**
 * One API operation: its schemas (which validate requests and make the OpenAPI document) and
 * its handler. The router and the document are both built from the same list.
 */
export interface Operation<
  TParams extends z.ZodType = z.ZodType,
  TQuery extends z.ZodType = z.ZodType,
  TBody extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: "get" | "post" | "patch" | "delete";
  /** OpenAPI style: /v1/customers/{externalId}. */
  path: string;
  summary: string;
  tag: string;
  auth: "admin" | "merchant";
  params?: TParams;
  query?: TQuery;
  body?: TBody;
  /**
   * Parses the body instead of `body`, which still documents it: for a batch whose items are
   * checked one by one (usage events), so one bad item does not refuse the rest.
   */
  parseBody?: z.ZodType;
  response: z.ZodType;
  /** The success body's media type when it is not JSON (e.g. "application/pdf": the handler returns bytes). */
  responseType?: string;
  status: number;
  handle: (
    ctx: Context,
    input: { params: z.output<TParams>; query: z.output<TQuery>; body: z.output<TBody> },
  ) => Promise<{ status: number; body: unknown }>;
}

/** Lets TypeScript infer the handler's input types from the schemas. */
export function operation<TParams extends z.ZodType, TQuery extends z.ZodType, TBody extends z.ZodType>(
  op: Operation<TParams, TQuery, TBody>,
): Operation {
  return op as unknown as Operation;
}

export const koaPath = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ":$1");
