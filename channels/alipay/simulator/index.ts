export { createAlipaySimulator, type AlipaySimulator, type AlipaySimulatorOptions } from "./app.js";
