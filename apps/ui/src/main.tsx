import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { boardClient } from "./api/client.js";
import { Board } from "./app.js";
import { prefetchForLocation } from "./lib/boot-prefetch.js";
import { createQueryClient } from "./lib/query-client.js";
import "./styles.css";

const queryClient = createQueryClient();
// The page's chunk and its first requests start now, not one after the other (lib/boot-prefetch.ts).
prefetchForLocation(queryClient, boardClient(), window.location);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <Board queryClient={queryClient} />
    </BrowserRouter>
  </StrictMode>,
);
