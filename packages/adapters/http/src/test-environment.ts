import {
  checkDestination,
  compileAllowList,
  OutboundBlockedError,
  type EnvironmentCheck,
  type EnvironmentTestOptions,
} from "@staple/adapter-kit";
import { parseHttpConfig } from "./config.js";
import { blockedHint } from "./outbound-hint.js";

/**
 * Checks the config without sending a request: the URL parses and is http(s), other fields are well-formed,
 * and the outbound guard would let the URL's host through (it is resolved, never connected to), under the
 * same allow-list a run gets.
 */
export async function testHttpEnvironment(raw: Record<string, unknown>, options: EnvironmentTestOptions = {}): Promise<EnvironmentCheck[]> {
  const parsed = parseHttpConfig(raw);
  if (!parsed.ok) {
    const code = parsed.field === "url" ? "http_url_invalid" : "http_config_invalid";
    return [{ level: "error", code, message: parsed.message, fix: `Set adapterConfig.${parsed.field} to a valid value.` }];
  }
  const { url, method } = parsed.config;
  const checks: EnvironmentCheck[] = [{ level: "info", code: "http_url_ok", message: `${method} ${url.origin}${url.pathname}` }];
  try {
    const approved = await checkDestination(url, compileAllowList(options.outboundAllow ?? []));
    checks.push({
      level: "info",
      code: "http_destination_ok",
      message: `${url.hostname} resolves to ${approved.address}, which outbound calls may reach`,
    });
  } catch (error) {
    if (error instanceof OutboundBlockedError) {
      checks.push({ level: "error", code: "outbound_blocked", message: error.message, fix: `${blockedHint}.` });
    } else {
      const reason = error instanceof Error ? error.message : String(error);
      checks.push({
        level: "warn",
        code: "http_host_unresolved",
        message: `${url.hostname} could not be resolved: ${reason}`,
        fix: "Check the host name; a run fails with http_request_failed while it does not resolve.",
      });
    }
  }
  return checks;
}
