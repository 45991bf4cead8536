import { useSyncExternalStore } from "react";

/**
 * Whether the board's session is gone. The board signs in with a one-time login link that sets an
 * HTTP-only session cookie; the page never sees the cookie, only the API's answers. Any 401 from the
 * API means this browser is not signed in (no cookie, an expired or revoked session): the client
 * reports it here and the app replaces every page with the sign-in screen, instead of showing each
 * failed request as an error.
 */
let signedOut = false;
const listeners = new Set<() => void>();

export function reportSignedOut(): void {
  if (signedOut) return;
  signedOut = true;
  for (const listener of [...listeners]) listener();
}

export function isSignedOut(): boolean {
  return signedOut;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useSignedOut(): boolean {
  return useSyncExternalStore(subscribe, isSignedOut, isSignedOut);
}
