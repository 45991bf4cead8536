import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client.js";

/**
 * The board's query cache. Live events refresh what they touch (lib/live-invalidation.ts), so
 * answers stay fresh for a while and a window focus refetches nothing. A 4xx is an answer, not a
 * hiccup: only network errors and 5xx are retried, once.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (failures, error) => failures < 1 && !(error instanceof ApiError && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
}
