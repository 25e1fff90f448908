export { WechatPayChannel, type WechatPayChannelConfig } from "./channel.js";
export {
  WechatPayClient,
  certificateSerial,
  wechatPayProductionBaseUrl,
  type WechatPayClientConfig,
} from "./client.js";
export { decryptAesGcm, encryptAesGcm, type EncryptedResource } from "./aead.js";
export { PlatformKeyRing } from "./platformKeys.js";
export { checkWechatSignature, type SignatureCheck } from "./verifier.js";
export {
  buildAuthorization,
  jsapiSignMessage,
  parseAuthorization,
  requestSignMessage,
  responseSignMessage,
  signatureProbePrefix,
  wechatAuthScheme,
} from "./signing.js";
export { buildJsapiPayParams } from "./jsapi.js";
export { parseWechatPayCallback, wechatAcks } from "./notification.js";
export { checkWechatOrder, checkWechatRefund } from "./orderRules.js";
export { normalizeWechatCode } from "./errorCodes.js";
export { parseWechatTradeBill, wechatBillRows, type WechatTradeBillFile } from "./bill.js";
export * from "./simulator/index.js";
