import QRCode from "qrcode";
import type { TopUpResult } from "../actors/index.js";
import { limits } from "../domain/limits.js";
import { checkoutStatusView } from "./views.js";

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** JSON inside a <script>: no `</script>` or HTML comment can close it early. */
export const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

export const channelNames = {
  wechat_native: "微信支付 WeChat Pay",
  wechat_jsapi: "微信支付 WeChat Pay",
  wechat_h5: "微信支付 WeChat Pay",
  alipay_page: "支付宝 Alipay",
  alipay_wap: "支付宝 Alipay",
} as const;

const statusText = {
  pending: "等待支付 · Waiting for payment",
  paid: "支付成功 · Paid",
  expired: "订单已过期 · Expired",
  failed: "支付未完成 · Payment failed",
} as const;

/** The pages' shared look: mobile-first, one card. */
export const checkoutStyle = `body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f5f7;color:#1f2328}
main{max-width:420px;margin:0 auto;padding:24px 16px;text-align:center}
.card{background:#fff;border-radius:12px;padding:24px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:18px;margin:0 0 4px}.amount{font-size:36px;font-weight:600;margin:12px 0}
.muted{color:#656d76;font-size:13px}.qr{margin:16px 0}.qr svg{width:220px;height:220px}
.button{display:block;width:100%;box-sizing:border-box;margin:12px 0;padding:14px;border:0;border-radius:8px;background:#07c160;color:#fff;font-size:16px;text-decoration:none;cursor:pointer}
.button.alipay{background:#1677ff}.button.sandbox{background:#6e7781}
#status[data-status=paid]{color:#1a7f37}#status[data-status=expired],#status[data-status=failed]{color:#cf222e}
`;

/** The sandbox's pay button (its script posts to `/simulate`). */
export const sandboxHtml = `<button class="button sandbox" id="simulate">模拟支付 · Simulate payment</button>
<p class="muted">沙盒环境，不会产生真实扣款 · Sandbox: no real money moves.</p>`;

/** What the chosen channel needs on the page: a QR code (server-side SVG), a link, or a JSAPI button. */
export async function actionHtml(result: TopUpResult): Promise<string> {
  const action = result.payment.context.action;
  if (!action) return `<p class="muted">正在创建订单 · Preparing the order…</p>`;
  switch (action.type) {
    case "qr_code": {
      const svg = await QRCode.toString(action.codeUrl, { type: "svg", margin: 1, width: 220 });
      return `<figure class="qr" aria-label="QR code">${svg}<figcaption>请使用微信扫一扫 · Scan with WeChat</figcaption></figure>`;
    }
    case "redirect":
      return `<a class="button" href="${escapeHtml(action.url)}">打开微信支付 · Open WeChat Pay</a>`;
    case "alipay_form":
      return `<a class="button alipay" href="${escapeHtml(action.url)}">前往支付宝付款 · Pay with Alipay</a>`;
    case "jsapi":
      return `<button class="button" id="jsapi">微信支付 · Pay in WeChat</button>
<script>document.getElementById("jsapi").onclick=function(){if(!window.WeixinJSBridge){alert("请在微信中打开 · Open this page in WeChat");return;}
WeixinJSBridge.invoke("getBrandWCPayRequest",${scriptJson(action.payParams)},function(){});};</script>`;
  }
}

/** The hosted checkout page: server-rendered, mobile-first, Chinese and English; it polls its own status. */
export async function renderCheckoutPage(
  result: TopUpResult & { merchantName: string },
  sandbox: boolean,
): Promise<string> {
  const status = checkoutStatusView(result);
  const base = `/checkout/${encodeURIComponent(result.ref.invoiceId)}`;
  const merchant = escapeHtml(result.merchantName || "BuffMoney");
  const simulate = sandbox ? sandboxHtml : "";
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${merchant} · 支付 Checkout</title>
<style>
${checkoutStyle}</style>
</head>
<body>
<main>
<div class="card">
<h1>${merchant}</h1>
<p class="muted">钱包充值 · Wallet top-up · ${escapeHtml(channelNames[result.payment.context.channel])}</p>
<p class="amount" data-amount="${status.amount}">¥${status.amount}</p>
<p id="status" data-status="${status.status}">${statusText[status.status]}</p>
<div id="pay"${status.status === "pending" ? "" : " hidden"}>
${await actionHtml(result)}
${simulate}
</div>
<p class="muted">订单号 Invoice ${escapeHtml(result.ref.invoiceId)}</p>
</div>
</main>
<script>
(function(){
var texts=${scriptJson(statusText)};
var el=document.getElementById("status");var pay=document.getElementById("pay");
function show(s){el.dataset.status=s;el.textContent=texts[s]||s;if(s!=="pending"){pay.hidden=true;clearInterval(timer);}}
function poll(){fetch("${base}/status",{cache:"no-store"}).then(function(r){return r.json();}).then(function(j){if(j.status)show(j.status);}).catch(function(){});}
var timer=setInterval(poll,${limits.checkoutPollIntervalMs});
var sim=document.getElementById("simulate");
if(sim)sim.onclick=function(){sim.disabled=true;fetch("${base}/simulate",{method:"POST"}).then(poll,poll);};
if(el.dataset.status!=="pending")clearInterval(timer);
})();
</script>
</body>
</html>`;
}

export function notFoundPage(): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>未找到 · Not found</title></head><body><p>找不到该订单 · This checkout does not exist.</p></body></html>`;
}
