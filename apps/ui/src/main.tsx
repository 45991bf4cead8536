import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { Board } from "./app.js";
import { createQueryClient } from "./lib/query-client.js";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <Board queryClient={createQueryClient()} />
    </BrowserRouter>
  </StrictMode>,
);
