export { AlipayChannel, type AlipayChannelConfig } from "./channel.js";
export {
  AlipayClient,
  alipayProductionGateway,
  type AlipayClientConfig,
  type AlipayResponse,
} from "./client.js";
export {
  alipaySignContent,
  notifySignExclusions,
  requestSignExclusions,
  signAlipayParams,
  verifyAlipayParams,
} from "./signing.js";
export { extractSignedResponse, type SignedResponse } from "./response.js";
export { alipayAcks, parseAlipayCallback } from "./notification.js";
export { checkAlipayOrder, checkAlipayRefund } from "./orderRules.js";
export { alipayBillRows, parseAlipayBillZip, type AlipayBillFile } from "./bill.js";
export * from "./simulator/index.js";
