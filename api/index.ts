export { createApp, operationsOf, type AppOptions } from "./app.js";
export { startServer, type RunningServer } from "./server.js";
export { openApiDocument } from "./openapi.js";
