/** WeChat Pay v3 error answers as the simulator sends them: HTTP status, code, message, Request-ID sub-code. */

export const wechatErrorStatus = {
  PARAM_ERROR: 400,
  INVALID_REQUEST: 400,
  SIGN_ERROR: 401,
  FREQUENCY_LIMITED: 429,
  SYSTEM_ERROR: 500,
  APPID_MCHID_NOT_MATCH: 400,
  MCH_NOT_EXISTS: 400,
  ORDER_CLOSED: 400,
  ORDER_PAID: 400,
  NO_AUTH: 403,
  OUT_TRADE_NO_USED: 403,
  RULE_LIMIT: 403,
  TRADE_ERROR: 403,
  ACCOUNT_ERROR: 403,
  NOT_ENOUGH: 403,
  USER_ACCOUNT_ABNORMAL: 403,
  OPENID_MISMATCH: 500,
  BANK_ERROR: 500,
  ORDER_NOT_EXIST: 404,
  RESOURCE_NOT_EXISTS: 404,
  NO_STATEMENT_EXIST: 400,
  STATEMENT_CREATING: 400,
} as const;

export type WechatErrorCode = keyof typeof wechatErrorStatus;

export function isWechatErrorCode(code: string): code is WechatErrorCode {
  return code in wechatErrorStatus;
}

/** The v2-era spellings some pages still show; the simulator emits them when asked to. */
const legacySpelling: Partial<Record<WechatErrorCode, string>> = {
  ORDER_PAID: "ORDERPAID",
  ORDER_CLOSED: "ORDERCLOSED",
  ORDER_NOT_EXIST: "ORDERNOTEXIST",
  NOT_ENOUGH: "NOTENOUGH",
  SYSTEM_ERROR: "SYSTEMERROR",
  NO_AUTH: "NOAUTH",
  RULE_LIMIT: "RULELIMIT",
};

export const defaultMessages: Partial<Record<WechatErrorCode, string>> = {
  SIGN_ERROR: "签名错误，请检查后再试",
  ORDER_NOT_EXIST: "订单不存在",
  ORDER_PAID: "订单已支付",
  ORDER_CLOSED: "订单已关闭",
  SYSTEM_ERROR: "系统错误",
  FREQUENCY_LIMITED: "频率超限",
  RESOURCE_NOT_EXISTS: "退款单不存在",
  NOT_ENOUGH: "基本账户余额不足，请充值后重新发起",
  RULE_LIMIT: "业务规则限制",
  NO_STATEMENT_EXIST: "账单文件不存在",
  STATEMENT_CREATING: "账单生成中",
};

/** The numeric tail of `Request-ID` for the errors the spec names. */
export const requestIdSubCodes: Partial<Record<WechatErrorCode, string>> & { PARAMS_MISMATCH: string } = {
  ORDER_NOT_EXIST: "268512771",
  ORDER_PAID: "268449538",
  ORDER_CLOSED: "268447914",
  PARAMS_MISMATCH: "268498688",
};

export function spell(code: WechatErrorCode, legacy: boolean): string {
  return legacy ? (legacySpelling[code] ?? code) : code;
}
