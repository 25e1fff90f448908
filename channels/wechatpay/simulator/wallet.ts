import { channelLimits } from "../../limits.js";
import { fenToYuan } from "../../money.js";
import type { SimulatorContext } from "../../sandbox/koa.js";
import type { WechatSim } from "./context.js";

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** GET /cgi-bin/mmpayweb-bin/checkmweb — the H5 cashier a phone browser opens (`h5_url`, valid 5 min). */
export function h5Cashier(sim: WechatSim) {
  return (ctx: SimulatorContext) => {
    const prepayId = String(ctx.query.prepay_id ?? "");
    const order = [...sim.store.orders.values()].find(
      (o) => o.prepayId === prepayId && o.tradeType === "MWEB",
    );
    ctx.type = "text/html; charset=utf-8";
    if (!order || sim.now() > order.createdAtMs + channelLimits.wechatH5UrlValidityMs) {
      ctx.status = order ? 410 : 404;
      ctx.body =
        "<!doctype html><meta charset=utf-8><title>微信支付</title><p>商家订单信息已过期，请返回重新发起支付</p>";
      return;
    }
    const payUrl = `${ctx.state.baseUrl}/__sim/orders/${encodeURIComponent(order.outTradeNo)}/pay`;
    ctx.body = `<!doctype html><meta charset=utf-8><title>微信支付 (sandbox)</title>
<h1>¥${fenToYuan(order.totalFen)}</h1><p>${escape(order.description)}</p>
<button onclick="fetch('${escape(payUrl)}',{method:'POST',body:'{}'}).then(r=>r.json()).then(j=>document.body.append(JSON.stringify(j)))">确认支付</button>`;
  };
}
