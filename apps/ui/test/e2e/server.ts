/**
 * The server test helper (apps/server/test/helpers/server-process.ts), loaded at run time: it lives
 * in another TypeScript project, so its types are restated here instead of imported.
 */
import type { ChildProcess } from "node:child_process";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  home: string;
  stop(): Promise<void>;
}

interface Helper {
  startServerProcess(env: Record<string, string>): Promise<ServerProcess>;
  httpJson<T = any>(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }>;
}

const helper = (await import(/* @vite-ignore */ new URL("../../../server/test/helpers/server-process.ts", import.meta.url).href)) as Helper;
export const startServerProcess = helper.startServerProcess;
export const httpJson = helper.httpJson;
