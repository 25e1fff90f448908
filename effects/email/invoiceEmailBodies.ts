import {
  channelLabels,
  formatFen,
  formatPeriod,
  notFapiaoStatement,
  partyName,
  type InvoiceDocument,
} from "../invoicePdf/index.js";

export type InvoiceEmailKind = "finalized" | "paid";

/** What the email says, once, so the text and HTML bodies cannot drift apart. */
type EmailBody = {
  lead: { zh: string; en: string };
  rows: Array<{ zh: string; en: string; value: string }>;
  attachmentNote: { zh: string; en: string };
};

function emailBody(invoice: InvoiceDocument, kind: InvoiceEmailKind): EmailBody {
  const merchantZh = partyName(invoice.merchant, "zh");
  const merchantEn = partyName(invoice.merchant, "en");
  const numberRow = { zh: "账单编号", en: "Invoice no.", value: invoice.number };
  const attachmentNote = { zh: "账单 PDF 见附件。", en: "The invoice PDF is attached." };
  if (kind === "paid") {
    const { payment } = invoice;
    const channel = payment === undefined ? undefined : channelLabels[payment.channel];
    const paymentRows =
      payment === undefined || channel === undefined
        ? []
        : [
            {
              zh: "支付方式",
              en: "Paid with",
              value: `${channel.zh} ${channel.en} (${payment.transactionId})`,
            },
            { zh: "支付时间", en: "Paid at", value: payment.paidAt },
          ];
    return {
      lead: {
        zh: `${merchantZh} 已收到您对账单 ${invoice.number} 的付款，谢谢！`,
        en: `${merchantEn} received your payment for invoice ${invoice.number}. Thank you!`,
      },
      rows: [
        { zh: "已付金额", en: "Amount paid", value: formatFen(invoice.amountPaidFen) },
        ...paymentRows,
        numberRow,
      ],
      attachmentNote,
    };
  }
  return {
    lead: {
      zh: `${merchantZh} 向您发送了账单 ${invoice.number}。`,
      en: `${merchantEn} has sent you invoice ${invoice.number}.`,
    },
    rows: [
      { zh: "应付金额", en: "Amount due", value: formatFen(invoice.amountDueFen) },
      { zh: "到期日", en: "Due date", value: invoice.dueDate },
      { zh: "服务期间", en: "Service period", value: formatPeriod(invoice.period) },
      numberRow,
    ],
    attachmentNote,
  };
}

/** Chinese first, then English, then the not-a-fapiao statement. */
export function invoiceEmailText(invoice: InvoiceDocument, kind: InvoiceEmailKind): string {
  const body = emailBody(invoice, kind);
  return [
    body.lead.zh,
    "",
    ...body.rows.map((row) => `${row.zh}：${row.value}`),
    "",
    body.attachmentNote.zh,
    "",
    body.lead.en,
    "",
    ...body.rows.map((row) => `${row.en}: ${row.value}`),
    "",
    body.attachmentNote.en,
    "",
    "--",
    notFapiaoStatement.zh,
    notFapiaoStatement.en,
    "",
  ].join("\n");
}

export function invoiceEmailHtml(invoice: InvoiceDocument, kind: InvoiceEmailKind): string {
  const body = emailBody(invoice, kind);
  const rows = body.rows
    .map(
      (row) =>
        `<tr><td style="padding:4px 16px 4px 0;color:#6b7280">${escapeHtml(row.zh)} ${escapeHtml(row.en)}</td>` +
        `<td style="padding:4px 0;font-weight:600">${escapeHtml(row.value)}</td></tr>`,
    )
    .join("");
  return [
    "<!doctype html>",
    '<html lang="zh-CN"><head><meta charset="utf-8"></head>',
    "<body style=\"margin:0;padding:24px;font-family:-apple-system,'PingFang SC','Microsoft YaHei',",
    'Helvetica,Arial,sans-serif;color:#111827;font-size:14px;line-height:1.6">',
    '<div style="max-width:560px;margin:0 auto">',
    `<p style="margin:0 0 4px">${escapeHtml(body.lead.zh)}</p>`,
    `<p lang="en" style="margin:0 0 16px">${escapeHtml(body.lead.en)}</p>`,
    `<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">${rows}</table>`,
    `<p style="margin:0 0 24px">${escapeHtml(body.attachmentNote.zh)} `,
    `<span lang="en">${escapeHtml(body.attachmentNote.en)}</span></p>`,
    '<p style="margin:0;padding-top:12px;border-top:1px solid #e5e7eb;color:#6b7280;font-size:12px">',
    `${escapeHtml(notFapiaoStatement.zh)}<br><span lang="en">${escapeHtml(notFapiaoStatement.en)}</span></p>`,
    "</div></body></html>",
  ].join("\n");
}

const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEntities[char] ?? char);
}
