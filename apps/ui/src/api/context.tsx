import { createContext, useContext, type ReactNode } from "react";
import { boardClient, type StapleClient } from "./client.js";

const ApiContext = createContext<StapleClient | null>(null);

/** Gives the pages their API client (the board's own by default; tests pass one over a fake fetch). */
export function ApiProvider({ client, children }: { client?: StapleClient; children: ReactNode }) {
  return <ApiContext.Provider value={client ?? boardClient()}>{children}</ApiContext.Provider>;
}

export function useApi(): StapleClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error("useApi outside ApiProvider");
  return client;
}
