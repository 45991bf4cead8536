import { forbidden } from "../errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF defence for cookie-authenticated requests (bearer tokens are not sent by browsers on their
 * own, so they need none). The session cookie is SameSite=Strict already; on top of that a write
 * must prove it comes from this origin: browsers send `Origin` on every non-GET fetch, and
 * `Sec-Fetch-Site` where they support it. A write with neither is refused too: a cookie-holding
 * client that is not a browser can send an Origin header or use a bearer token.
 */
export function checkSameOrigin(req: {
  method: string;
  origin: string | undefined;
  host: string | undefined;
  secFetchSite: string | undefined;
}): void {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return;
  if (req.secFetchSite !== undefined && req.secFetchSite !== "same-origin" && req.secFetchSite !== "none") {
    throw forbidden(`Cross-site request refused (Sec-Fetch-Site: ${req.secFetchSite})`, "csrf_rejected");
  }
  if (req.origin === undefined) {
    if (req.secFetchSite === "same-origin") return;
    throw forbidden("A cookie-authenticated write must carry an Origin header", "csrf_rejected");
  }
  let originHost: string;
  try {
    originHost = new URL(req.origin).host;
  } catch {
    throw forbidden("Malformed Origin header", "csrf_rejected");
  }
  if (req.host === undefined || originHost.toLowerCase() !== req.host.toLowerCase()) {
    throw forbidden(`Cross-origin request refused (Origin ${req.origin})`, "csrf_rejected");
  }
}
