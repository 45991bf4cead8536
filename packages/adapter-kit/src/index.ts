export * from "./types.js";
export * from "./child-process.js";
export * from "./process-group.js";
export * from "./tail-buffer.js";
export * from "./redact.js";
export * from "./fake-adapter.js";
export * from "./spawn-host.js";
export * from "./resolve-command.js";
