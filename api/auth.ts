import type { Context, Next } from "koa";
import { adminTokenMatches, type Actor, type Runtime } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";
import type { Environment } from "../domain/environment.js";

export interface MerchantAuth {
  merchantId: string;
  env: Environment;
  keyId: string;
}

function bearer(ctx: Context): string | undefined {
  const header = ctx.get("Authorization");
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** Whether the request carries the admin token. */
export function isAdminRequest(ctx: Context, runtime: Runtime): boolean {
  const token = bearer(ctx);
  return token !== undefined && adminTokenMatches(token, runtime.adminTokenSha256);
}

/** Admin routes take the admin token; everything else under /v1 takes a merchant's API key. */
export function authenticate(runtime: Runtime) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!ctx.path.startsWith("/v1/")) return next();
    const token = bearer(ctx);
    if (!token) throw new DomainError("unauthorized", "send 'Authorization: Bearer <key>'");
    if (ctx.path.startsWith("/v1/admin/")) {
      if (!adminTokenMatches(token, runtime.adminTokenSha256)) {
        throw new DomainError("unauthorized", "the admin token is not valid");
      }
      ctx.state.admin = true;
      return next();
    }
    const owner = await runtime.merchants.check(token);
    if (owner === "expired") {
      throw new DomainError("unauthorized", "the API key has expired: it was rolled, use its replacement");
    }
    if (!owner) throw new DomainError("unauthorized", "the API key is not valid");
    ctx.state.auth = owner satisfies MerchantAuth;
    return next();
  };
}

/**
 * Refuses a request that did not authenticate as the operation declares. `authenticate` decides by
 * the path, before routing; this holds even if the router matched a path it did not expect.
 */
export function requireAuth(ctx: Context, auth: "admin" | "merchant"): void {
  const authenticated = auth === "admin" ? ctx.state.admin === true : ctx.state.auth !== undefined;
  if (!authenticated) {
    const needs = auth === "admin" ? "the admin token" : "a merchant API key";
    throw new DomainError("unauthorized", `this operation needs ${needs}`);
  }
}

export function merchantOf(ctx: Context): MerchantAuth {
  const auth = ctx.state.auth as MerchantAuth | undefined;
  if (!auth) throw new DomainError("unauthorized", "this route needs a merchant API key");
  return auth;
}

/** Who is acting, for audit trails. */
export function actorOf(ctx: Context): Actor {
  if (ctx.state.admin) return { kind: "admin" };
  const auth = merchantOf(ctx);
  return { kind: "api_key", env: auth.env, keyId: auth.keyId };
}
