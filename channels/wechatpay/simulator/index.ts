export { createWechatPaySimulator, type WechatPaySimulator, type WechatPaySimulatorOptions } from "./app.js";
export type { PlatformKeyMode } from "./platform.js";
