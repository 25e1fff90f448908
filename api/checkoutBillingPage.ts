import { limits } from "../domain/limits.js";
import { formatMicros, fenToMicros } from "../domain/money.js";
import {
  billingCheckoutStatus,
  billingCheckoutStatusView,
  type BillingCheckout,
  type BillingCheckoutStatus,
} from "./checkoutBilling.js";
import {
  actionHtml,
  channelNames,
  checkoutStyle,
  escapeHtml,
  sandboxHtml,
  scriptJson,
} from "./checkoutPage.js";
import { checkoutStatusView } from "./views.js";

const statusText: Record<BillingCheckoutStatus, string> = {
  open: "待支付 · Awaiting payment",
  pending: "等待支付 · Waiting for payment",
  paid: "支付成功 · Paid",
  void: "账单已作废 · This invoice was voided",
  uncollectible: "账单已停止收款 · This invoice is no longer collected",
};

const purposeText = {
  subscription: "订阅账单 · Subscription invoice",
  purchase: "购买账单 · Purchase invoice",
  top_up: "钱包充值 · Wallet top-up",
} as const;

const retryText = {
  expired: "上次支付已过期，请重新选择支付方式 · The last attempt expired; choose how to pay again.",
  failed:
    "上次支付未完成，请重新选择支付方式 · The last attempt did not go through; choose how to pay again.",
} as const;

const billingStyle = `.lines{width:100%;border-collapse:collapse;margin:8px 0 16px;font-size:14px;text-align:left}
.lines td,.lines th{padding:6px 0;border-bottom:1px solid #eaeef2;vertical-align:top;font-weight:normal;overflow-wrap:anywhere}
.lines .num{text-align:right;white-space:nowrap;padding-left:12px}
.lines tfoot th{color:#656d76}.lines tr.total th,.lines tr.total td{font-weight:600;color:#1f2328;border-bottom:0}
.error{color:#cf222e;font-size:13px}.button:disabled{opacity:.6;cursor:default}
#status[data-status=void],#status[data-status=uncollectible]{color:#cf222e}
`;

/** Fen as the page writes money: ¥149.00, −¥12.34. */
function money(fen: bigint): string {
  const yuan = formatMicros(fenToMicros(fen < 0n ? -fen : fen));
  return `${fen < 0n ? "−" : ""}¥${yuan}`;
}

/** What the invoice bills: its lines, then the credit taken off (when any) and the total. */
function linesHtml(checkout: BillingCheckout): string {
  const invoice = checkout.invoice.context;
  const row = (label: string, fen: bigint, cells = "td", extra = "") =>
    `<tr${extra}><${cells}>${escapeHtml(label)}</${cells}><td class="num">${money(fen)}</td></tr>`;
  const subtotalFen = invoice.lines.reduce((sum, line) => sum + line.amountFen, 0n);
  const credit =
    invoice.creditAppliedFen > 0n
      ? row("小计 · Subtotal", subtotalFen, "th") +
        row("账户余额抵扣 · Credit applied", -invoice.creditAppliedFen, "th", ' class="credit"')
      : "";
  return `<table class="lines">
<tbody>${invoice.lines.map((line) => row(line.description, line.amountFen)).join("")}</tbody>
<tfoot>${credit}${row("应付总额 · Total due", invoice.amountFen, "th", ' class="total"')}</tfoot>
</table>`;
}

/** Open with nothing payable: the channels to choose from, after why the last attempt ended. */
function chooseHtml(checkout: BillingCheckout): string {
  const last = checkout.attempt ? checkoutStatusView(checkout.attempt).status : undefined;
  const retry = last === "expired" || last === "failed" ? `<p class="muted">${retryText[last]}</p>` : "";
  const buttons =
    checkout.channels.length === 0
      ? `<p class="muted">暂无可用的支付方式，请联系商家 · No payment method is available; please contact the merchant.</p>`
      : `<p class="muted">请选择支付方式 · Choose how to pay</p>
${checkout.channels
  .map(
    (channel) =>
      `<button class="button${channel.startsWith("alipay") ? " alipay" : ""}" data-channel="${channel}">${channelNames[channel]}</button>`,
  )
  .join("\n")}`;
  return `<div id="choose">
${retry}${buttons}
<p class="error" id="error" role="alert" hidden></p>
</div>`;
}

async function payHtml(checkout: BillingCheckout, sandbox: boolean): Promise<string> {
  if (!checkout.attempt) return "";
  return `<div id="pay">
<p class="muted">${escapeHtml(channelNames[checkout.attempt.payment.context.channel])}</p>
${await actionHtml(checkout.attempt)}
${sandbox ? sandboxHtml : ""}
</div>`;
}

function closedHtml(checkout: BillingCheckout): string {
  const refundedFen = checkout.invoice.context.refundedFen;
  return refundedFen > 0n ? `<p class="muted">已退款 · Refunded ${money(refundedFen)}</p>` : "";
}

/**
 * A subscription or purchase invoice's hosted page: the invoice, then a channel to choose (open),
 * the QR code or cashier link (an attempt is live), or the outcome. It polls its own status: an
 * attempt started or ended elsewhere reloads it, paid / voided show in place.
 */
export async function renderBillingCheckoutPage(
  checkout: BillingCheckout,
  sandbox: boolean,
): Promise<string> {
  const status = billingCheckoutStatus(checkout);
  const invoice = checkout.invoice.context;
  const base = `/checkout/${encodeURIComponent(invoice.invoiceId)}`;
  const merchant = escapeHtml(checkout.merchantName || "BuffMoney");
  const number = escapeHtml(invoice.number ?? invoice.invoiceId);
  const action =
    status === "open" ? chooseHtml(checkout) : status === "pending" ? await payHtml(checkout, sandbox) : "";
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${merchant} · 支付 Checkout</title>
<style>
${checkoutStyle}${billingStyle}</style>
</head>
<body>
<main>
<div class="card">
<h1>${merchant}</h1>
<p class="muted">${purposeText[invoice.purpose]} · ${number}</p>
<p class="amount" data-amount="${billingCheckoutStatusView(checkout).amount}">${money(invoice.amountFen)}</p>
<p id="status" data-status="${status}">${statusText[status]}</p>
${linesHtml(checkout)}
${action}${closedHtml(checkout)}
<p class="muted">账单号 Invoice ${number}</p>
</div>
</main>
<script>
(function(){
var texts=${scriptJson(statusText)};var base=${scriptJson(base)};
var el=document.getElementById("status");var shown=el.dataset.status;
function settle(s){el.dataset.status=s;el.textContent=texts[s]||s;clearInterval(timer);
["pay","choose"].forEach(function(id){var n=document.getElementById(id);if(n)n.hidden=true;});}
function show(s){if(s===shown)return;if(s==="open"||s==="pending"){location.reload();return;}shown=s;settle(s);}
function poll(){fetch(base+"/status",{cache:"no-store"}).then(function(r){return r.json();}).then(function(j){if(j.status)show(j.status);}).catch(function(){});}
var timer=setInterval(poll,${limits.checkoutPollIntervalMs});
if(shown!=="open"&&shown!=="pending")clearInterval(timer);
var sim=document.getElementById("simulate");
if(sim)sim.onclick=function(){sim.disabled=true;fetch(base+"/simulate",{method:"POST"}).then(poll,poll);};
var buttons=document.querySelectorAll("[data-channel]");var err=document.getElementById("error");
function busy(on){Array.prototype.forEach.call(buttons,function(b){b.disabled=on;});}
function fail(detail){busy(false);err.hidden=false;err.textContent="无法发起支付，请稍后再试 · Could not start the payment"+(detail?" ("+detail+")":"");}
Array.prototype.forEach.call(buttons,function(b){b.onclick=function(){busy(true);err.hidden=true;
fetch(base+"/pay",{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify({channel:b.dataset.channel})})
.then(function(r){return r.json().then(function(j){
if(r.ok||j.code==="invoice_not_open"||j.code==="payment_in_progress"){location.reload();return;}
fail(j.detail||j.code);});}).catch(function(){fail("");});};});
})();
</script>
</body>
</html>`;
}
