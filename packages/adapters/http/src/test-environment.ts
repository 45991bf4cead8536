import type { EnvironmentCheck } from "@staple/adapter-kit";
import { parseHttpConfig } from "./config.js";

/** Checks the config statically (no request is sent): the URL parses and is http(s), other fields are well-formed. */
export async function testHttpEnvironment(raw: Record<string, unknown>): Promise<EnvironmentCheck[]> {
  const parsed = parseHttpConfig(raw);
  if (!parsed.ok) {
    const code = parsed.field === "url" ? "http_url_invalid" : "http_config_invalid";
    return [{ level: "error", code, message: parsed.message, fix: `Set adapterConfig.${parsed.field} to a valid value.` }];
  }
  const { url, method } = parsed.config;
  return [{ level: "info", code: "http_url_ok", message: `${method} ${url.origin}${url.pathname}` }];
}
