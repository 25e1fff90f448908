import { fenToYuan } from "../../money.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import type { AlipayFailure } from "./context.js";
import type { AlipayTrade } from "./state.js";

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** The cashier page a browser reaches through page.pay / wap.pay. */
export function renderCashier(ctx: SimulatorContext, trade: AlipayTrade): void {
  const payUrl = `${ctx.state.baseUrl}/__sim/orders/${encodeURIComponent(trade.outTradeNo)}/pay`;
  ctx.status = 200;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = `<!doctype html><meta charset=utf-8><title>支付宝 - 网上支付 安全快速！(sandbox)</title>
<h1 data-out-trade-no="${escape(trade.outTradeNo)}" data-trade-no="${trade.tradeNo}">¥${fenToYuan(trade.totalFen)}</h1>
<p>${escape(trade.subject)}</p>
<button onclick="fetch('${escape(payUrl)}',{method:'POST',body:'{}'}).then(r=>r.json()).then(j=>document.body.append(JSON.stringify(j)))">确认付款</button>`;
}

/** Browser flows show errors as a page, not JSON. */
export function renderCashierError(ctx: SimulatorContext, failure: AlipayFailure): void {
  ctx.status = 400;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = `<!doctype html><meta charset=utf-8><title>支付宝 - 错误</title>
<p>错误代码 <code data-sub-code="${escape(failure.subCode)}">${escape(failure.subCode)}</code></p><p>${escape(failure.subMsg)}</p>`;
}
